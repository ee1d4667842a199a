"use client";
// Reviewing suggestions class by class: every pending suggestion of one class as a dense gallery of thumbnails,
// least sure first (where the model's mistakes gather). The reviewer marks the wrong ones (click, shift-click for a
// range, Space on the focused tile) and applies: the marked ones are rejected (or labelled as another class), the
// rest accepted, in one request; Undo takes the whole batch back. A class of 1,800 suggestions is a few screens.
import { useInfiniteQuery, useMutation, useQuery } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { LabelClass, RouterOutputs } from "~/lib/api-types";
import { errorMessage } from "~/lib/errors";
import { formatCount, plural } from "~/lib/format";
import { ignoreKey } from "~/lib/hotkeys";
import { galleryActionFor, galleryKeys, markRange } from "~/lib/suggestions/gallery-keys";
import { useTRPC } from "~/lib/trpc";
import { useElementWidth } from "~/lib/use-element-width";
import { Kbd } from "../labelling/shortcut-help";
import { Alert } from "../ui/alert";
import { ColorDot } from "../ui/badge";
import { Button } from "../ui/button";
import { EmptyState } from "../ui/empty-state";
import { inputClass } from "../ui/field";
import { LoadingPanel } from "../ui/spinner";
import { useToast } from "../ui/toast";

type Suggestion = RouterOutputs["pseudoLabels"]["list"]["items"][number];

/** Tiles a page; a batch applies to what is loaded, at most the server's batch limit. */
const pageSize = 120;
const maxBatch = 500;
const tilePx = 112;
const gapPx = 8;

export function SuggestionGallery({ projectId, classes }: { projectId: string; classes: LabelClass[] }) {
  const trpc = useTRPC();
  const toast = useToast();
  const perClass = useQuery(trpc.pseudoLabels.perClass.queryOptions({ projectId }));
  const counts = useMemo(() => new Map((perClass.data ?? []).map((r) => [r.classId, r.count])), [perClass.data]);
  const withSuggestions = classes.filter((c) => (counts.get(c.id) ?? 0) > 0);
  const [chosen, setChosen] = useState<string | null>(null);
  // The chosen class, or the first with suggestions once they are known (and again when the chosen one runs out).
  const classId = chosen && (counts.get(chosen) ?? 0) > 0 ? chosen : (withSuggestions[0]?.id ?? chosen);
  const current = classes.find((c) => c.id === classId);
  const [order, setOrder] = useState<"asc" | "desc">("asc");

  const list = useInfiniteQuery(
    trpc.pseudoLabels.list.infiniteQueryOptions({ projectId, classId, order, limit: pageSize }, { enabled: classId !== null, getNextPageParam: (last) => last.nextCursor ?? undefined }),
  );
  // Applied here but maybe not refetched yet: hidden at once.
  const [handled, setHandled] = useState<Set<string>>(() => new Set());
  const items = useMemo(() => (list.data?.pages.flatMap((p) => p.items) ?? []).filter((s) => !handled.has(s.id)), [list.data, handled]);
  const ids = useMemo(() => items.map((s) => s.id), [items]);
  const [marked, setMarked] = useState<Set<string>>(() => new Set());
  const [focus, setFocus] = useState(0);
  const [anchor, setAnchor] = useState<number | null>(null);
  const [markedAs, setMarkedAs] = useState<string>("reject");
  const at = Math.min(focus, Math.max(0, items.length - 1));
  const batch = items.slice(0, maxBatch);
  const markedInBatch = batch.filter((s) => marked.has(s.id)).length;
  const accepting = batch.length - markedInBatch;

  const choose = useCallback((id: string) => {
    setChosen(id);
    setMarked(new Set());
    setFocus(0);
    setAnchor(null);
  }, []);

  const box = useRef<HTMLDivElement>(null);
  const width = useElementWidth(box);
  const columns = Math.max(1, Math.floor((width + gapPx) / (tilePx + gapPx)));

  const toggle = useCallback(
    (index: number, range: boolean) => {
      setMarked((m) => {
        if (range && anchor !== null) return markRange(m, ids, anchor, index);
        const next = new Set(m);
        const id = ids[index]!;
        if (next.has(id)) next.delete(id);
        else next.add(id);
        return next;
      });
      setAnchor(index);
      setFocus(index);
    },
    [anchor, ids],
  );

  const undo = useMutation(
    trpc.pseudoLabels.undoReviews.mutationOptions({
      onSuccess: (r, input) => {
        setHandled((h) => new Set([...h].filter((id) => !input.pseudoLabelIds.includes(id))));
        toast.show({ text: `Undone: ${plural(r.reopened, "suggestion")} back in the queue${r.skipped ? ` (${formatCount(r.skipped)} changed since, left as they are)` : ""}.` });
      },
      onError: (err) => toast.show({ text: errorMessage(err), tone: "error" }),
    }),
  );
  const lastBatch = useRef<string[] | null>(null);
  const undoLast = useCallback(() => {
    const done = lastBatch.current;
    if (!done || done.length === 0) return toast.show({ text: "Nothing to undo here." });
    lastBatch.current = null;
    undo.mutate({ projectId, pseudoLabelIds: done });
  }, [projectId, undo, toast.show]);

  const apply = useMutation(
    trpc.pseudoLabels.reviewMany.mutationOptions({
      onSuccess: (r) => {
        const done = [...r.accepted, ...r.rejected, ...r.corrected];
        lastBatch.current = done;
        setHandled((h) => new Set([...h, ...done]));
        setMarked(new Set());
        setFocus(0);
        setAnchor(null);
        const target = classes.find((c) => c.id === markedAs);
        const parts = [
          r.accepted.length && `Accepted ${plural(r.accepted.length, "suggestion")} as ${current?.name ?? "suggested"}`,
          r.rejected.length && `rejected ${formatCount(r.rejected.length)}`,
          r.corrected.length && `labelled ${formatCount(r.corrected.length)} as ${target?.name ?? "another class"}`,
        ].filter(Boolean);
        const skipped = r.skipped ? ` ${plural(r.skipped, "suggestion")} had been reviewed or labelled meanwhile.` : "";
        toast.show({ text: `${parts.join(", ") || "Nothing applied"}.${skipped}`, action: done.length ? { label: "Undo", run: undoLast } : undefined });
      },
      onError: (err) => toast.show({ text: errorMessage(err), tone: "error" }),
    }),
  );
  const run = useCallback(() => {
    if (batch.length === 0 || apply.isPending) return;
    apply.mutate({
      projectId,
      reviews: batch.map((s) =>
        !marked.has(s.id)
          ? { pseudoLabelId: s.id, action: "accept" as const }
          : markedAs === "reject"
            ? { pseudoLabelId: s.id, action: "reject" as const }
            : { pseudoLabelId: s.id, action: "correct" as const, classId: markedAs },
      ),
    });
  }, [apply, batch, marked, markedAs, projectId]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (ignoreKey(e) && !((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z")) return;
      // Other buttons take Space and Enter themselves; on a tile they mark and apply (not the button's click).
      const target = e.target as HTMLElement | null;
      if (target?.tagName === "BUTTON" && target.dataset.testid !== "gallery-tile" && (e.key === " " || e.key === "Enter")) return;
      const a = galleryActionFor(e, classes, at, items.length, columns);
      if (!a) return;
      e.preventDefault();
      if (a.kind === "move") setFocus(a.to);
      else if (a.kind === "mark") toggle(at, e.shiftKey);
      else if (a.kind === "apply") run();
      else if (a.kind === "clearMarks") setMarked(new Set());
      else if (a.kind === "undo") undoLast();
      else {
        const i = withSuggestions.findIndex((c) => c.id === classId);
        const next = withSuggestions[(i + a.by + withSuggestions.length) % Math.max(1, withSuggestions.length)];
        if (next) choose(next.id);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [classes, at, items.length, columns, toggle, run, undoLast, withSuggestions, classId, choose]);

  const tileRefs = useRef(new Map<number, HTMLButtonElement>());
  useEffect(() => {
    // Keyboard focus follows the focused tile once a tile has it (moving with the arrows), so Space marks what the
    // ring shows; it is not taken from the toolbar's controls.
    const tile = tileRefs.current.get(at);
    tile?.scrollIntoView({ block: "nearest" });
    if (tile && document.activeElement instanceof HTMLElement && document.activeElement.dataset.testid === "gallery-tile") tile.focus({ preventScroll: true });
  }, [at]);

  const keys = galleryKeys(classes);
  const total = Math.max(0, (list.data?.pages[0]?.total ?? 0) - (list.data?.pages.flatMap((p) => p.items).filter((s) => handled.has(s.id)).length ?? 0));

  // The outer box is always there: its width sets the columns, measured from the first render on.
  return (
    <div ref={box} data-testid="suggestion-gallery">
      {perClass.isPending ? (
        <LoadingPanel label="Loading suggestions…" />
      ) : perClass.isError ? (
        <Alert>{errorMessage(perClass.error)}</Alert>
      ) : withSuggestions.length === 0 && handled.size === 0 ? (
        <EmptyState title="Nothing to review">Suggestions appear here, grouped by the class the model suggests, once a model has labelled the project&apos;s unlabelled images.</EmptyState>
      ) : (
        body()
      )}
      {toast.element}
    </div>
  );

  function body() {
    return (
      <div className="space-y-4">
        <div className="flex flex-wrap gap-1.5" role="tablist" aria-label="Suggested class">
          {classes.map((c) => {
            const n = counts.get(c.id) ?? 0;
            const selected = c.id === classId;
            return (
              <button
                key={c.id}
                type="button"
                role="tab"
                aria-selected={selected}
                disabled={n === 0 && !selected}
                onClick={() => choose(c.id)}
                data-testid="gallery-class"
                data-class-name={c.name}
                data-count={n}
                className={`inline-flex items-center gap-1.5 rounded-full px-3 py-1 text-xs font-medium ring-1 ring-inset transition disabled:opacity-40 ${
                  selected ? "bg-slate-900 text-white ring-slate-900" : "bg-white text-slate-700 ring-slate-300 hover:bg-slate-50"
                }`}
              >
                <ColorDot color={c.color} className="size-2" />
                {c.name}
                <span className={`tabular-nums ${selected ? "text-slate-300" : "text-slate-400"}`}>{formatCount(n)}</span>
              </button>
            );
          })}
        </div>

        <div className="sticky top-0 z-10 flex flex-wrap items-center gap-3 rounded-lg bg-white/95 px-4 py-3 text-sm shadow-xs ring-1 ring-slate-200 backdrop-blur" data-testid="gallery-bar">
          <span className="text-slate-700">
            <span className="font-semibold">{current?.name ?? "…"}</span>{" "}
            <span className="text-slate-500" data-testid="gallery-total" data-count={list.data ? total : ""}>
              {list.data ? `${plural(total, "suggestion")}` : "…"}
            </span>
          </span>
          <select
            value={order}
            onChange={(e) => (setOrder(e.target.value as "asc" | "desc"), setFocus(0))}
            className={inputClass(false, "w-auto py-1 pr-8")}
            aria-label="Order"
            data-testid="gallery-order"
          >
            <option value="asc">Least sure first</option>
            <option value="desc">Most sure first</option>
          </select>
          <span className="text-slate-500" data-testid="gallery-marked" data-count={markedInBatch}>
            {markedInBatch === 0 ? "Mark the wrong ones, then accept the rest." : `${formatCount(markedInBatch)} marked as wrong.`}
          </span>
          <label className="flex items-center gap-1.5 text-slate-500">
            marked ones:
            <select value={markedAs} onChange={(e) => setMarkedAs(e.target.value)} className={inputClass(false, "w-auto py-1 pr-8")} data-testid="gallery-marked-as">
              <option value="reject">reject</option>
              {classes
                .filter((c) => c.id !== classId)
                .map((c) => (
                  <option key={c.id} value={c.id}>
                    label as {c.name}
                  </option>
                ))}
            </select>
          </label>
          <div className="ml-auto flex items-center gap-2">
            {markedInBatch > 0 && (
              <Button size="sm" variant="ghost" onClick={() => setMarked(new Set())}>
                Clear marks
              </Button>
            )}
            <Button size="sm" variant="primary" disabled={batch.length === 0} loading={apply.isPending} onClick={run} data-testid="gallery-apply">
              {accepting > 0 ? `Accept ${formatCount(accepting)}` : "Accept none"}
              {markedInBatch > 0 && `, ${markedAs === "reject" ? "reject" : "relabel"} ${formatCount(markedInBatch)}`}
              <Kbd>Enter</Kbd>
            </Button>
          </div>
        </div>

        <p className="flex flex-wrap items-center gap-x-4 gap-y-1 text-xs text-slate-500">
          <span className="inline-flex items-center gap-1">
            click,{" "}
            {keys.mark.map((k) => (
              <Kbd key={k}>{k}</Kbd>
            ))}{" "}
            mark as wrong (Shift: a range)
          </span>
          <span className="inline-flex items-center gap-1">
            <Kbd>←</Kbd>
            <Kbd>→</Kbd>
            <Kbd>↑</Kbd>
            <Kbd>↓</Kbd> move
          </span>
          {keys.previousClass.length > 0 && (
            <span className="inline-flex items-center gap-1">
              <Kbd>[</Kbd>
              <Kbd>]</Kbd> class
            </span>
          )}
          <span className="inline-flex items-center gap-1">
            <Kbd>Ctrl+Z</Kbd> undo the last batch
          </span>
          {items.length > maxBatch && <span>One batch applies to the first {formatCount(maxBatch)} shown.</span>}
        </p>

        <div>
          {list.isPending && classId !== null ? (
            <LoadingPanel label="Loading suggestions…" />
          ) : list.isError ? (
            <Alert>{errorMessage(list.error)}</Alert>
          ) : items.length === 0 ? (
            <EmptyState title={`No ${current?.name ?? ""} suggestions left`}>Choose another class above; new suggestions appear here by themselves.</EmptyState>
          ) : (
            <ul className="grid justify-start" style={{ gridTemplateColumns: `repeat(${columns}, ${tilePx}px)`, gap: gapPx }} aria-label={`${current?.name ?? ""} suggestions`}>
              {items.map((s, i) => (
                <Tile
                  key={s.id}
                  ref={(el) => {
                    if (el) tileRefs.current.set(i, el);
                    else tileRefs.current.delete(i);
                  }}
                  suggestion={s}
                  marked={marked.has(s.id)}
                  focused={i === at}
                  onClick={(shift) => toggle(i, shift)}
                />
              ))}
            </ul>
          )}
        </div>
        {list.hasNextPage && (
          <div className="flex justify-center">
            <Button onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage} data-testid="gallery-more">
              Show {formatCount(pageSize)} more
            </Button>
          </div>
        )}
      </div>
    );
  }
}

function Tile({
  ref,
  suggestion: s,
  marked,
  focused,
  onClick,
}: {
  ref: (el: HTMLButtonElement | null) => void;
  suggestion: Suggestion;
  marked: boolean;
  focused: boolean;
  onClick: (shift: boolean) => void;
}) {
  const pct = Math.round(s.confidence * 100);
  const small = Math.max(s.image.width, s.image.height) <= 128;
  return (
    <li>
      <button
        ref={ref}
        type="button"
        // A click from the keyboard (detail 0) is the window's key handler's to deal with: Space marks, Enter applies.
        onClick={(e) => e.detail !== 0 && onClick(e.shiftKey)}
        aria-pressed={marked}
        aria-label={`${s.image.filename}, ${pct}% sure${marked ? ", marked as wrong" : ""}`}
        title={`${s.image.filename} · ${pct}%`}
        data-testid="gallery-tile"
        data-id={s.id}
        data-marked={marked}
        data-focused={focused}
        className={`relative block overflow-hidden rounded-md bg-slate-100 ring-inset transition ${marked ? "ring-[3px] ring-rose-500" : focused ? "ring-2 ring-indigo-500" : "ring-1 ring-slate-200 hover:ring-slate-400"}`}
        style={{ width: tilePx, height: tilePx }}
      >
        <img src={`/api/images/${s.imageId}/thumbnail`} alt="" loading="lazy" className={`size-full object-contain ${small ? "[image-rendering:pixelated]" : ""} ${marked ? "opacity-50" : ""}`} />
        <span className="absolute bottom-1 left-1 rounded bg-slate-900/70 px-1 text-[10px] font-medium text-white tabular-nums">{pct}%</span>
        {marked && (
          <span className="absolute top-1 right-1 flex size-5 items-center justify-center rounded-full bg-rose-600 text-xs font-bold text-white" aria-hidden="true">
            ✕
          </span>
        )}
        {focused && marked && <span className="pointer-events-none absolute inset-0 rounded-md ring-2 ring-indigo-500 ring-offset-1" aria-hidden="true" />}
      </button>
    </li>
  );
}
