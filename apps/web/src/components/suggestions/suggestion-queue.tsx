"use client";
// The review queue of the model's suggestions (pseudo-labels) for unlabelled images: most (or least) confident first,
// filtered by class and confidence, reviewed one by one from the keyboard (accept, reject, correct with a class's
// hotkey) or in bulk above a threshold. New suggestions arrive live while the trainer produces them; an accepted one
// becomes a label whose source says "model, reviewed", and Ctrl+Z takes it back (the suggestion reopens).
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { LabelClass, RouterOutputs } from "~/lib/api-types";
import { errorMessage } from "~/lib/errors";
import { plural } from "~/lib/format";
import { undoMyLast } from "~/lib/realtime/connection";
import { canReview } from "~/lib/roles";
import { type ReviewAction, reviewActionFor, reviewKeys } from "~/lib/suggestions/review-keys";
import { useTRPC, useTRPCClient } from "~/lib/trpc";
import { Kbd } from "../labelling/shortcut-help";
import { Alert } from "../ui/alert";
import { ColorDot } from "../ui/badge";
import { Button, buttonClass } from "../ui/button";
import { EmptyState } from "../ui/empty-state";
import { inputClass } from "../ui/field";
import { LoadingPanel } from "../ui/spinner";
import { useToast } from "../ui/toast";
import { BulkAccept } from "./bulk-accept";

type Suggestion = RouterOutputs["pseudoLabels"]["list"]["items"][number];
type Role = RouterOutputs["projects"]["get"]["role"];

interface Filter {
  classId: string | null;
  /** Percent, 0-100. */
  min: number;
  max: number;
  order: "asc" | "desc";
}
const noFilter: Filter = { classId: null, min: 0, max: 100, order: "desc" };

export function SuggestionQueue({ projectId, classes, role }: { projectId: string; classes: LabelClass[]; role: Role }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const toast = useToast();
  const [filter, setFilter] = useState<Filter>(noFilter);
  const classesById = useMemo(() => new Map(classes.map((c) => [c.id, c])), [classes]);
  const models = useQuery(trpc.models.list.queryOptions({ projectId }));
  const input = {
    projectId,
    classId: filter.classId,
    minConfidence: filter.min > 0 ? filter.min / 100 : undefined,
    maxConfidence: filter.max < 100 ? filter.max / 100 : undefined,
    order: filter.order,
    limit: 50,
  };
  const list = useInfiniteQuery(trpc.pseudoLabels.list.infiniteQueryOptions(input, { getNextPageParam: (last) => last.nextCursor ?? undefined }));

  // Reviewed here but maybe not refetched yet: hidden at once (id -> image id, so an undo can bring it back).
  const [handled, setHandled] = useState<Map<string, string>>(() => new Map());
  const items = useMemo(() => (list.data?.pages.flatMap((p) => p.items) ?? []).filter((s) => !handled.has(s.id)), [list.data, handled]);
  const total = Math.max(0, (list.data?.pages[0]?.total ?? 0) - [...handled.keys()].filter((id) => list.data?.pages.some((p) => p.items.some((s) => s.id === id))).length);
  const [active, setActive] = useState(0);
  const activeIndex = Math.min(active, Math.max(0, items.length - 1));
  const current = items[activeIndex];

  const hide = (s: Suggestion) => setHandled((m) => new Map(m).set(s.id, s.imageId));
  const unhide = (imageId: string) => setHandled((m) => new Map([...m].filter(([, img]) => img !== imageId)));

  const undo = useCallback(async () => {
    try {
      const r = await undoMyLast(projectId);
      unhide(r.imageId);
      toast.show({ text: "Undone: the suggestion is back in the queue." });
    } catch (err) {
      toast.show({ text: errorMessage(err), tone: "error" });
    }
  }, [projectId, toast.show]);

  const review = useCallback(
    async (s: Suggestion, action: Exclude<ReviewAction, { kind: "move" } | { kind: "undo" }>) => {
      hide(s);
      const suggested = classesById.get(s.classId)?.name ?? "the suggested class";
      const name = s.image.filename.split("/").pop();
      try {
        if (action.kind === "accept") await client.pseudoLabels.accept.mutate({ projectId, pseudoLabelId: s.id });
        else if (action.kind === "reject") await client.pseudoLabels.reject.mutate({ projectId, pseudoLabelId: s.id });
        else await client.pseudoLabels.correct.mutate({ projectId, pseudoLabelId: s.id, classId: action.classId });
        const text =
          action.kind === "accept"
            ? `Accepted ${name} as ${suggested}.`
            : action.kind === "reject"
              ? `Rejected ${suggested} for ${name}; this model will not suggest it again.`
              : `Labelled ${name} as ${classesById.get(action.classId)?.name ?? "another class"}.`;
        toast.show({ text, action: action.kind === "reject" ? undefined : { label: "Undo", run: () => void undo() } });
      } catch (err) {
        unhide(s.imageId);
        toast.show({ text: errorMessage(err), tone: "error" });
      }
    },
    [client, projectId, classesById, toast.show, undo],
  );

  // The keyboard: one suggestion is active; its row shows the keys.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName))) return;
      const action = reviewActionFor(e, classes, current?.classId ?? null);
      if (!action) return;
      if (action.kind === "undo") {
        e.preventDefault();
        void undo();
      } else if (action.kind === "move") {
        e.preventDefault();
        setActive(Math.max(0, Math.min(items.length - 1, activeIndex + action.by)));
      } else if (current) {
        e.preventDefault();
        void review(current, action);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [classes, current, items.length, activeIndex, review, undo]);

  const rowRefs = useRef(new Map<string, HTMLLIElement>());
  useEffect(() => {
    if (current) rowRefs.current.get(current.id)?.scrollIntoView({ block: "nearest" });
  }, [current]);

  const keys = reviewKeys(classes);
  const setF = (f: Partial<Filter>) => {
    setFilter((old) => ({ ...old, ...f }));
    setActive(0);
  };
  const filtered = filter.classId !== null || filter.min > 0 || filter.max < 100;

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end gap-3 text-sm">
        <label className="space-y-1">
          <span className="block text-xs font-medium text-slate-500">Suggested class</span>
          <select value={filter.classId ?? ""} onChange={(e) => setF({ classId: e.target.value || null })} className={inputClass(false, "w-44 py-1.5")} data-testid="suggestion-class-filter">
            <option value="">All classes</option>
            {classes.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <label className="space-y-1">
          <span className="block text-xs font-medium text-slate-500">Confidence from %</span>
          <input
            type="number"
            min={0}
            max={100}
            value={filter.min}
            onChange={(e) => setF({ min: clampPct(e.target.value) })}
            className={inputClass(false, "w-24 py-1.5")}
            data-testid="suggestion-min"
          />
        </label>
        <label className="space-y-1">
          <span className="block text-xs font-medium text-slate-500">to %</span>
          <input
            type="number"
            min={0}
            max={100}
            value={filter.max}
            onChange={(e) => setF({ max: clampPct(e.target.value) })}
            className={inputClass(false, "w-24 py-1.5")}
            data-testid="suggestion-max"
          />
        </label>
        <label className="space-y-1">
          <span className="block text-xs font-medium text-slate-500">Order</span>
          <select value={filter.order} onChange={(e) => setF({ order: e.target.value as Filter["order"] })} className={inputClass(false, "w-48 py-1.5")} data-testid="suggestion-order">
            <option value="desc">Most confident first</option>
            <option value="asc">Least confident first</option>
          </select>
        </label>
        {filtered && (
          <Button size="sm" variant="ghost" onClick={() => setF(noFilter)}>
            Clear filters
          </Button>
        )}
      </div>

      {canReview(role) && <BulkAccept projectId={projectId} classId={filter.classId} classes={classes} onDone={(text, error) => toast.show({ text, tone: error ? "error" : "info" })} />}

      <p className="flex flex-wrap items-center gap-x-4 gap-y-1 text-xs text-slate-500">
        <span className="text-sm text-slate-600" data-testid="suggestion-total" data-count={list.data ? total : ""}>
          {list.data ? (total === 0 ? "No suggestions pending." : `${plural(total, "suggestion")} to review.`) : "…"}
        </span>
        <KeyHint keys={keys.accept} what="accept" />
        <KeyHint keys={keys.reject} what="reject" />
        <span className="inline-flex items-center gap-1">class key: correct as that class</span>
        <KeyHint keys={[...keys.previous, ...keys.next]} what="move" />
        <KeyHint keys={["Ctrl+Z"]} what="undo" />
      </p>

      {list.isPending ? (
        <LoadingPanel label="Loading suggestions…" />
      ) : list.isError ? (
        <Alert>{errorMessage(list.error)}</Alert>
      ) : items.length === 0 ? (
        models.data && models.data.length === 0 ? (
          <EmptyState
            title="No model yet"
            action={
              <Link href={`/projects/${projectId}/training`} className={buttonClass("secondary")}>
                See training
              </Link>
            }
          >
            Suggestions appear here, live, once the trainer has fine-tuned a model on this project&apos;s labels. Label a few images of at least two classes to get it going.
          </EmptyState>
        ) : filtered ? (
          <EmptyState title="No suggestions match these filters" action={<Button onClick={() => setF(noFilter)}>Clear filters</Button>} />
        ) : (
          <EmptyState title="Nothing to review">Every suggestion has been reviewed. New ones appear here by themselves when the model labels newly uploaded images.</EmptyState>
        )
      ) : (
        <ul className="divide-y divide-slate-100 rounded-lg bg-white shadow-xs ring-1 ring-slate-200" data-testid="suggestion-list">
          {items.map((s, i) => (
            <Row
              key={s.id}
              ref={(el) => {
                if (el) rowRefs.current.set(s.id, el);
                else rowRefs.current.delete(s.id);
              }}
              suggestion={s}
              active={i === activeIndex}
              classes={classes}
              classesById={classesById}
              keys={keys}
              onActivate={() => setActive(i)}
              onReview={(a) => void review(s, a)}
            />
          ))}
        </ul>
      )}
      {list.hasNextPage && (
        <div className="flex justify-center">
          <Button onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage}>
            Show more
          </Button>
        </div>
      )}
      {toast.element}
    </div>
  );
}

const clampPct = (v: string) => Math.max(0, Math.min(100, Math.round(Number(v) || 0)));

function KeyHint({ keys, what }: { keys: string[]; what: string }) {
  return (
    <span className="inline-flex items-center gap-1">
      {keys.map((k) => (
        <Kbd key={k}>{k}</Kbd>
      ))}
      {what}
    </span>
  );
}

function Row({
  ref,
  suggestion: s,
  active,
  classes,
  classesById,
  keys,
  onActivate,
  onReview,
}: {
  ref: (el: HTMLLIElement | null) => void;
  suggestion: Suggestion;
  active: boolean;
  classes: LabelClass[];
  classesById: Map<string, LabelClass>;
  keys: ReturnType<typeof reviewKeys>;
  onActivate: () => void;
  onReview: (a: { kind: "accept" } | { kind: "reject" } | { kind: "correct"; classId: string }) => void;
}) {
  const c = classesById.get(s.classId);
  const pct = Math.round(s.confidence * 100);
  // The runners-up, from the model's probabilities (in its class order).
  const probs = s.probabilities as number[];
  const others = s.modelVersion.classIds
    .map((id, i) => ({ id, p: probs[i] ?? 0 }))
    .filter((o) => o.id !== s.classId)
    .sort((a, b) => b.p - a.p)
    .slice(0, 2);
  const small = Math.max(s.image.width, s.image.height) <= 128;
  return (
    <li
      ref={ref}
      onClick={onActivate}
      className={`flex flex-wrap items-center gap-4 p-3 transition ${active ? "bg-indigo-50/60 ring-2 ring-indigo-400 ring-inset" : "hover:bg-slate-50"}`}
      data-testid="suggestion"
      data-id={s.id}
      data-image-id={s.imageId}
      data-class-name={c?.name ?? ""}
      data-confidence={s.confidence}
      data-active={active}
      aria-current={active}
    >
      <img
        src={`/api/images/${s.imageId}/thumbnail`}
        alt={s.image.filename}
        loading="lazy"
        className={`size-20 shrink-0 rounded bg-slate-100 object-contain ring-1 ring-slate-200 ${small ? "[image-rendering:pixelated]" : ""}`}
      />
      <div className="min-w-0 flex-1 space-y-1.5">
        <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1">
          <span className="inline-flex items-center gap-1.5 text-sm font-semibold text-slate-900" data-testid="suggested-class">
            <ColorDot color={c?.color ?? "#94a3b8"} />
            {c?.name ?? "deleted class"}
          </span>
          <span className="text-sm text-slate-600 tabular-nums" title="The model's confidence (softmax probability)">
            {pct}%
          </span>
          <span className="truncate font-mono text-xs text-slate-500" title={s.image.filename}>
            {s.image.filename}
          </span>
          {s.modelVersion.stage === "PRETRAIN" ? (
            // A pretrained encoder has no classifier: its suggestions come from the trainer's quick head (kNN or a
            // linear probe on its embeddings or on the pixels, refreshed within seconds of new labels), until a
            // teacher's replace them.
            <span
              className="text-xs text-slate-400"
              title="kNN or a linear probe on the pretrained encoder's embeddings or on the images' pixels (whichever cross-validates better on your labels), refreshed within seconds of new labels; a fine-tuned model's suggestions replace it"
            >
              quick suggestion (with v{s.modelVersion.version})
            </span>
          ) : (
            <span className="text-xs text-slate-400">
              {s.modelVersion.stage === "DISTIL" ? "student" : "teacher"} v{s.modelVersion.version}
            </span>
          )}
        </div>
        <div className="h-1.5 w-48 max-w-full overflow-hidden rounded-full bg-slate-200" aria-hidden="true">
          <div className="h-full rounded-full" style={{ width: `${pct}%`, backgroundColor: c?.color ?? "#6366f1" }} />
        </div>
        {others.length > 0 && <p className="text-xs text-slate-400">then {others.map((o) => `${classesById.get(o.id)?.name ?? "?"} ${Math.round(o.p * 100)}%`).join(", ")}</p>}
      </div>
      <div className="flex flex-wrap items-center gap-1.5">
        <Button size="sm" variant="primary" onClick={(e) => (e.stopPropagation(), onReview({ kind: "accept" }))} data-testid="suggestion-accept">
          Accept {active && <KbdLight>{keys.accept[0]!}</KbdLight>}
        </Button>
        <Button size="sm" variant="dangerGhost" onClick={(e) => (e.stopPropagation(), onReview({ kind: "reject" }))} data-testid="suggestion-reject">
          Reject {active && <Kbd>{keys.reject[0]!}</Kbd>}
        </Button>
        {active && (
          <span className="flex flex-wrap items-center gap-1 border-l border-slate-200 pl-2">
            <span className="text-xs text-slate-500">Correct as</span>
            {classes
              .filter((x) => x.id !== s.classId)
              .map((x) => (
                <button
                  key={x.id}
                  type="button"
                  onClick={(e) => (e.stopPropagation(), onReview({ kind: "correct", classId: x.id }))}
                  className="inline-flex items-center gap-1 rounded-md bg-white px-2 py-1 text-xs font-medium text-slate-700 ring-1 ring-slate-300 ring-inset hover:bg-slate-50"
                  data-testid="suggestion-correct"
                  data-class-name={x.name}
                >
                  <ColorDot color={x.color} className="size-2" />
                  {x.name}
                  {x.hotkey && <Kbd>{x.hotkey}</Kbd>}
                </button>
              ))}
          </span>
        )}
      </div>
    </li>
  );
}

function KbdLight({ children }: { children: string }) {
  return <kbd className="rounded bg-white/20 px-1 font-mono text-[10px] leading-4">{children === "Enter" ? "↵" : children}</kbd>;
}
