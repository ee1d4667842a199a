"use client";
// The labelling view: one image large, the project's classes as buttons with their hotkeys, and everything else on
// the keyboard too (skip, unsure, previous / next, undo, "?" for help). Work is claimed from the server, so teammates
// labelling at the same time never get the same image (unless the project asks for overlap).
import type { ImageRef } from "@fewlabel/realtime";
import { skipToken, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useCallback, useEffect, useMemo, useState } from "react";
import type { LabelClass, Project } from "~/lib/api-types";
import { formatCount, percent } from "~/lib/format";
import { classForKey, classHotkeys, ignoreKey, isUndoKey } from "~/lib/hotkeys";
import { imageUrl, useLabellingSession } from "~/lib/labelling/use-labelling-session";
import { setLeaseSeconds } from "~/lib/realtime/connection";
import { usePresence, useViewing } from "~/lib/realtime/use-project-live";
import { useMe } from "~/lib/use-me";
import { useTRPC, useTRPCClient } from "~/lib/trpc";
import { LiveIndicator } from "../live/live-indicator";
import { PresenceAvatars } from "../live/presence-avatars";
import { buttonClass } from "../ui/button";
import { handleViewKey, useImageView, ZoomStage } from "../images/zoom-stage";
import { Spinner } from "../ui/spinner";
import { useToast } from "../ui/toast";
import { Kbd, type Shortcut, ShortcutHelp } from "./shortcut-help";

export function LabelView({ project }: { project: Project }) {
  const projectId = project.id;
  const trpc = useTRPC();
  const stats = useQuery(trpc.images.stats.queryOptions({ projectId }));
  const toast = useToast();
  const showError = useCallback((message: string) => toast.show({ text: message, tone: "error" }), [toast.show]);
  const session = useLabellingSession(projectId, showError);
  const [help, setHelp] = useState(false);
  const classes = project.classes;
  const classesById = useMemo(() => new Map(classes.map((c) => [c.id, c])), [classes]);
  const shownImage = session.shown?.image ?? null;
  const imageView = useImageView(shownImage?.id ?? null);
  useViewing(projectId, shownImage?.id ?? null);
  useEffect(() => setLeaseSeconds(projectId, project.leaseSeconds), [projectId, project.leaseSeconds]);
  // With overlap (several annotators per image), a teammate may be on the same image right now.
  const me = useMe().data;
  const alsoHere = usePresence(projectId).filter((p) => shownImage && p.imageId === shownImage.id && p.userId !== me?.id);

  // New images arriving (or leases running out) can end an empty queue: look again when the totals change.
  const total = stats.data?.total;
  const { refill, state } = session;
  useEffect(() => {
    if (state.kind === "empty" && total !== undefined) void refill();
  }, [total, state.kind, refill]);

  const undo = useCallback(async () => {
    const r = await session.undo();
    if (!r) return;
    const name = r.classId ? (classesById.get(r.classId)?.name ?? "its previous class") : "unlabelled";
    toast.show({ text: `Undone: ${r.filename.split("/").pop()} is ${r.classId ? `back to ${name}` : "unlabelled again"}.` });
  }, [session.undo, classesById, toast.show]);

  // The model's suggestion for the image on screen (not while looking back): Enter confirms it. The next image's is
  // fetched ahead, so it shows the moment that image does.
  const client = useTRPCClient();
  const qc = useQueryClient();
  const current = session.back === null ? (session.queue[0] ?? null) : null;
  const suggestionQuery = useQuery(trpc.pseudoLabels.forImages.queryOptions(current ? { projectId, imageIds: [current.id] } : skipToken));
  const suggestion = current ? suggestionQuery.data?.find((s) => s.imageId === current.id) : undefined;
  const suggestedClass = suggestion ? classesById.get(suggestion.classId) : undefined;
  const nextId = session.queue[1]?.id;
  useEffect(() => {
    if (nextId) void qc.prefetchQuery(trpc.pseudoLabels.forImages.queryOptions({ projectId, imageIds: [nextId] }));
  }, [nextId, projectId, qc, trpc]);
  const confirm = useMemo(
    () => (suggestion && suggestedClass ? () => session.label(suggestion.classId, () => client.pseudoLabels.accept.mutate({ projectId, pseudoLabelId: suggestion.id })) : null),
    [suggestion, suggestedClass, session.label, client, projectId],
  );

  // Class hotkeys come first: a project may give a class the key "s" or "u"; → and the buttons still skip.
  const reserved = useMemo(() => classHotkeys(classes), [classes]);
  const shortcuts: Shortcut[] = [
    { keys: reserved.has("s") ? ["→"] : ["s", "→"], what: "Skip (or next, when looking back)" },
    { keys: ["←"], what: "Previous image I labelled" },
    { keys: reserved.has("u") ? [] : ["u"], what: "Mark the label as unsure" },
    { keys: ["Enter"], what: "Confirm the model's suggestion" },
    { keys: ["+", "−"], what: "Zoom in / out (also the mouse wheel, a pinch, or a double-click)" },
    { keys: reserved.has("0") ? [] : ["0"], what: "Whole image again: reset zoom, pan, brightness and contrast" },
    { keys: ["Shift+←↑→↓"], what: "Pan the zoomed image (or drag it)" },
    { keys: ["Ctrl+Z", "Backspace"], what: "Undo my last label" },
    { keys: ["?"], what: "Show or hide this help" },
  ].filter((s) => s.keys.length > 0);

  const { label, skip, previous, toggleUnsure } = session;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isUndoKey(e)) {
        e.preventDefault();
        void undo();
        return;
      }
      if (ignoreKey(e)) return;
      if (e.key === "?") {
        e.preventDefault();
        setHelp((h) => !h);
        return;
      }
      if (help) return;
      if (e.key === "Enter" && confirm) {
        e.preventDefault();
        confirm();
        return;
      }
      const c = classForKey(classes, e.key);
      if (c && e.key.length === 1) {
        e.preventDefault();
        label(c.id);
      } else if (handleViewKey(e, imageView, reserved)) {
        // zoom, pan or reset of the image on screen
      } else if (e.key === "s" || e.key === "ArrowRight") {
        e.preventDefault();
        skip();
      } else if (e.key === "ArrowLeft") {
        e.preventDefault();
        previous();
      } else if (e.key === "u") {
        e.preventDefault();
        toggleUnsure();
      } else if (e.key === "Backspace") {
        e.preventDefault();
        void undo();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [classes, label, skip, previous, toggleUnsure, undo, help, confirm, imageView, reserved]);

  const labelled = stats.data?.labelled ?? 0;
  // Live with the project's counts (a teammate's label lowers it too); the work queue's own count until they load.
  const toGo = stats.data?.toGo ?? session.remaining;
  const pct = percent(labelled, stats.data?.total ?? 0);
  const entry = session.shown?.entry ?? null;
  const entryClass = entry?.classId ? classesById.get(entry.classId) : undefined;

  return (
    <main className="flex h-[calc(100dvh-3.5rem)] flex-col bg-slate-950 text-slate-100" data-testid="label-view">
      <header className="flex shrink-0 flex-wrap items-center gap-x-5 gap-y-2 border-b border-white/10 px-4 py-2.5 sm:px-6">
        <div className="min-w-0">
          <nav className="text-xs text-slate-400">
            <Link href={`/projects/${projectId}`} className="hover:text-white" data-testid="back-to-project">
              ← {project.name}
            </Link>
          </nav>
          <h1 className="text-sm font-semibold text-white">Labelling</h1>
        </div>
        <div className="flex min-w-48 flex-1 items-center gap-3">
          <div
            className="h-2 max-w-md flex-1 overflow-hidden rounded-full bg-white/10"
            role="progressbar"
            aria-label="Images labelled in this project"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={pct}
            data-testid="label-progress"
          >
            <div className="h-full rounded-full bg-emerald-400 transition-[width] duration-300" style={{ width: `${pct}%` }} />
          </div>
          <span className="text-xs text-slate-300 tabular-nums" data-testid="label-progress-text">
            {formatCount(labelled)} / {formatCount(stats.data?.total ?? 0)} labelled
          </span>
          {toGo !== null && (
            <span className="text-xs text-slate-400 tabular-nums" data-testid="label-remaining" data-remaining={toGo}>
              · {formatCount(toGo)} to go
            </span>
          )}
        </div>
        <div className="flex items-center gap-3">
          <PresenceAvatars projectId={projectId} dark />
          <LiveIndicator projectId={projectId} dark />
          <button
            type="button"
            className={buttonClass("ghost", "sm", "text-slate-200 ring-1 ring-white/20 ring-inset hover:bg-white/10 hover:text-white")}
            onClick={() => setHelp(true)}
            aria-label="Keyboard shortcuts"
            data-testid="help-button"
          >
            ?
          </button>
        </div>
      </header>

      <div className="grid min-h-0 flex-1 grid-rows-[1fr_auto] lg:grid-cols-[1fr_20rem] lg:grid-rows-1">
        <section className="relative flex min-h-0 items-center justify-center p-4">
          {session.shown ? (
            <ZoomStage view={imageView}>
              <Stage image={session.shown.image} />
            </ZoomStage>
          ) : state.kind === "empty" ? (
            <div className="max-w-md text-center" data-testid="label-done">
              <h2 className="text-xl font-semibold text-white">All images are labelled 🎉</h2>
              <p className="mt-2 text-sm text-slate-400">
                {state.remaining > 0
                  ? `${formatCount(state.remaining)} ${state.remaining === 1 ? "image is" : "images are"} with teammates or waiting for other annotators' votes. New work shows up here by itself.`
                  : "Nothing is waiting for a label in this project. New uploads will show up here by themselves."}
              </p>
              <div className="mt-5 flex justify-center gap-2">
                <Link href={`/projects/${projectId}`} className={buttonClass("secondary")}>
                  Back to the project
                </Link>
                {session.skippedCount > 0 && (
                  <button type="button" className={buttonClass("primary")} onClick={session.retrySkipped} data-testid="label-retry-skipped">
                    Label the {formatCount(session.skippedCount)} I skipped
                  </button>
                )}
                {session.done.length > 0 && (
                  <button type="button" className={buttonClass("ghost", "md", "text-slate-300 hover:bg-white/10 hover:text-white")} onClick={previous}>
                    ← Review my labels
                  </button>
                )}
              </div>
            </div>
          ) : (
            <div className="flex items-center gap-2 text-sm text-slate-400" role="status">
              <Spinner /> Finding an image for you…
            </div>
          )}
          {session.shown && (
            <div className="pointer-events-none absolute inset-x-4 top-4 flex flex-wrap items-start justify-between gap-2">
              <span className="rounded bg-black/60 px-2 py-1 font-mono text-xs text-slate-200" data-testid="label-filename">
                {session.shown.image.filename}
              </span>
              <span className="flex flex-wrap gap-2">
                {alsoHere.length > 0 && (
                  <span className="rounded bg-sky-400/90 px-2 py-1 text-xs font-semibold text-slate-900" data-testid="label-also-here">
                    {alsoHere.map((p) => p.name).join(", ")} {alsoHere.length === 1 ? "is" : "are"} on this image too
                  </span>
                )}
                {session.back !== null && (
                  <span className="rounded bg-amber-400/90 px-2 py-1 text-xs font-semibold text-slate-900" data-testid="label-looking-back">
                    Looking back: {session.back + 1} of {session.done.length} labelled
                  </span>
                )}
                {entry && (
                  <span className="flex items-center gap-1.5 rounded bg-black/60 px-2 py-1 text-xs text-slate-100" data-testid="label-current-vote" data-class-name={entryClass?.name ?? ""}>
                    {entryClass && <span className="size-2 rounded-full" style={{ backgroundColor: entryClass.color }} aria-hidden="true" />}
                    My label: {entryClass?.name ?? "none"}
                    {entry.unsure ? " (unsure)" : ""}
                    {entry.failed ? " · not saved" : entry.synced ? " · saved" : " · saving…"}
                  </span>
                )}
              </span>
            </div>
          )}
        </section>

        <aside className="flex min-h-0 flex-col gap-4 overflow-auto border-t border-white/10 p-4 lg:border-t-0 lg:border-l">
          <div>
            <h2 className="mb-2 text-xs font-medium tracking-wide text-slate-400 uppercase">Classes</h2>
            {classes.length === 0 ? (
              <p className="text-sm text-slate-400">
                This project has no classes yet.{" "}
                <Link className="text-indigo-300 underline" href={`/projects/${projectId}/settings`}>
                  Add some in settings
                </Link>
                .
              </p>
            ) : (
              <ul className="grid grid-cols-2 gap-2 lg:grid-cols-1">
                {classes.map((c) => (
                  <li key={c.id}>
                    <ClassButton labelClass={c} active={entry?.classId === c.id} disabled={!session.shown} onClick={() => label(c.id)} />
                  </li>
                ))}
              </ul>
            )}
          </div>
          <button
            type="button"
            aria-pressed={session.unsure}
            onClick={toggleUnsure}
            data-testid="label-unsure"
            className={`flex items-center justify-between rounded-md px-3 py-2 text-sm ring-1 ring-inset transition ${session.unsure ? "bg-amber-400/20 text-amber-200 ring-amber-300/60" : "text-slate-300 ring-white/15 hover:bg-white/5"}`}
          >
            <span>{session.unsure ? "Unsure: on for the next label" : "Unsure"}</span>
            {!reserved.has("u") && <Kbd dark>u</Kbd>}
          </button>
          <div className="grid grid-cols-2 gap-2">
            <SideButton onClick={previous} disabled={session.done.length === 0 || session.back === 0} testId="label-prev" keys={["←"]}>
              Previous
            </SideButton>
            <SideButton
              onClick={session.back !== null ? session.next : skip}
              disabled={!session.shown}
              testId={session.back !== null ? "label-next" : "label-skip"}
              keys={session.back !== null ? ["→"] : reserved.has("s") ? ["→"] : ["s"]}
            >
              {session.back !== null ? "Next" : "Skip"}
            </SideButton>
            <SideButton onClick={() => void undo()} disabled={session.done.length === 0} testId="label-undo" keys={["⌫"]}>
              Undo
            </SideButton>
            <SideButton onClick={() => setHelp(true)} testId="label-help" keys={["?"]}>
              Shortcuts
            </SideButton>
          </div>
          {suggestion && suggestedClass && confirm ? (
            <button
              type="button"
              onClick={confirm}
              className="rounded-md bg-indigo-500/15 p-3 text-left ring-1 ring-indigo-300/40 ring-inset transition hover:bg-indigo-500/25"
              data-testid="label-suggestion"
              data-class-name={suggestedClass.name}
              data-confidence={suggestion.confidence}
            >
              <span className="block text-xs font-medium tracking-wide text-indigo-200 uppercase">Model suggests</span>
              <span className="mt-1 flex items-center gap-2 text-sm font-semibold text-white">
                <span className="size-3 rounded-full ring-1 ring-white/30" style={{ backgroundColor: suggestedClass.color }} aria-hidden="true" />
                {suggestedClass.name}
                <span className="font-normal text-slate-300 tabular-nums">{Math.round(suggestion.confidence * 100)}%</span>
              </span>
              <span className="mt-1.5 flex items-center gap-1.5 text-xs text-slate-300">
                <Kbd dark>Enter</Kbd> confirms it; another class&apos;s key labels it differently.
              </span>
            </button>
          ) : (
            <div className="rounded-md border border-dashed border-white/15 p-3 text-xs text-slate-500" data-testid="suggestion-slot">
              {current && suggestionQuery.isSuccess ? "No model suggestion for this image." : "Model suggestions appear here once a model has been trained on this project."}
            </div>
          )}
          <p className="mt-auto text-xs text-slate-500" data-testid="session-count">
            {session.done.length === 0 ? "Press a class's key to label and move on." : `${formatCount(session.done.length)} labelled in this session.`}
          </p>
        </aside>
      </div>
      {help && <ShortcutHelp shortcuts={shortcuts} classes={classes} onClose={() => setHelp(false)} />}
      {toast.element}
    </main>
  );
}

function ClassButton({ labelClass, active, disabled, onClick }: { labelClass: LabelClass; active: boolean; disabled: boolean; onClick: () => void }) {
  return (
    <button
      type="button"
      onClick={onClick}
      disabled={disabled}
      data-testid="label-class-button"
      data-class-name={labelClass.name}
      aria-pressed={active}
      className={`flex w-full items-center gap-2.5 rounded-md px-3 py-2.5 text-left text-sm font-medium ring-1 ring-inset transition disabled:opacity-40 ${active ? "bg-white/15 ring-white/60" : "ring-white/15 hover:bg-white/10"}`}
    >
      <span className="size-3.5 shrink-0 rounded-full ring-1 ring-white/30" style={{ backgroundColor: labelClass.color }} aria-hidden="true" />
      <span className="min-w-0 flex-1 truncate">{labelClass.name}</span>
      {labelClass.hotkey && <Kbd dark>{labelClass.hotkey}</Kbd>}
    </button>
  );
}

function SideButton({ children, onClick, disabled, testId, keys }: { children: string; onClick: () => void; disabled?: boolean; testId: string; keys: string[] }) {
  return (
    <button
      type="button"
      onClick={onClick}
      disabled={disabled}
      data-testid={testId}
      className="flex items-center justify-between gap-2 rounded-md px-3 py-2 text-sm text-slate-200 ring-1 ring-white/15 ring-inset transition hover:bg-white/10 disabled:opacity-40 disabled:hover:bg-transparent"
    >
      {children}
      <span className="flex gap-1">
        {keys.map((k) => (
          <Kbd key={k} dark>
            {k}
          </Kbd>
        ))}
      </span>
    </button>
  );
}

/** The image, as large as fits; its thumbnail shows at once while the full image (usually preloaded) arrives. */
function Stage({ image }: { image: ImageRef }) {
  return <StageImage key={image.id} image={image} />;
}

function StageImage({ image }: { image: ImageRef }) {
  const [loaded, setLoaded] = useState(false);
  const [fallback, setFallback] = useState(false);
  const small = Math.max(image.width, image.height) <= 128;
  return (
    <div className="relative flex size-full items-center justify-center">
      {!loaded && <img src={`/api/images/${image.id}/thumbnail`} alt="" className={`absolute inset-0 size-full object-contain opacity-70 ${small ? "[image-rendering:pixelated]" : ""}`} />}
      <img
        src={imageUrl(image, fallback)}
        alt={image.filename}
        onLoad={() => setLoaded(true)}
        onError={() => !fallback && setFallback(true)}
        draggable={false}
        data-testid="label-image"
        data-image-id={image.id}
        className={`relative size-full object-contain ${small ? "[image-rendering:pixelated]" : ""}`}
        style={{ opacity: loaded ? 1 : 0 }}
      />
    </div>
  );
}
