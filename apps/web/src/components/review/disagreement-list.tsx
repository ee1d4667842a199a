"use client";
// The reviewers' queue: images whose votes disagree (different classes, or someone unsure), each with every vote and
// the model's latest suggestion, and below them the images a reviewer's decision settled. A reviewer can vote like
// anyone, or decide: a decision names the label whatever the votes' counts (the documented rule in
// packages/api/src/services/resolve-label.ts), so it settles a tie that a vote could only flip. Both lists follow the
// team live.
import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { LabelClass, RouterOutputs } from "~/lib/api-types";
import { errorMessage } from "~/lib/errors";
import { formatCount } from "~/lib/format";
import { newClientId, sendLabel, undoMyLast } from "~/lib/realtime/connection";
import { modelStageNames } from "~/lib/training/format";
import { useTRPC } from "~/lib/trpc";
import { useMe } from "~/lib/use-me";
import { LabelHistory } from "../images/label-history";
import { Kbd } from "../labelling/shortcut-help";
import { Alert } from "../ui/alert";
import { ColorDot } from "../ui/badge";
import { Button } from "../ui/button";
import { EmptyState } from "../ui/empty-state";
import { LoadingPanel } from "../ui/spinner";
import { useToast } from "../ui/toast";

type Item = RouterOutputs["review"]["disagreements"]["items"][number];
type Status = "open" | "decided";

const fileName = (item: Item) => item.filename.split("/").pop();

export function DisagreementList({ projectId, classes, canDecide }: { projectId: string; classes: LabelClass[]; canDecide: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const classesById = new Map(classes.map((c) => [c.id, c]));
  const className = (classId: string) => classesById.get(classId)?.name ?? "class";
  const [sending, setSending] = useState<string | null>(null);
  // Both lists move at once, rather than when the label event's debounced refresh comes round.
  const refresh = () => void qc.invalidateQueries(trpc.review.disagreements.infiniteQueryFilter({ projectId }));
  const decide = useMutation(trpc.review.decide.mutationOptions());

  const undo = async () => {
    try {
      await undoMyLast(projectId);
      refresh();
      toast.show({ text: "Undone." });
    } catch (err) {
      toast.show({ text: errorMessage(err), tone: "error" });
    }
  };

  const act = async (item: Item, classId: string, kind: "vote" | "decide") => {
    setSending(item.imageId);
    try {
      if (kind === "decide") {
        await decide.mutateAsync({ projectId, imageId: item.imageId, classId });
        refresh();
        toast.show({ text: `Decided ${fileName(item)}: ${className(classId)}.`, action: { label: "Undo", run: () => void undo() } });
      } else {
        await sendLabel({ projectId, imageId: item.imageId, classId, unsure: false, clientLabelId: newClientId() });
        toast.show({ text: `Voted ${className(classId)} for ${fileName(item)}.` });
      }
    } catch (err) {
      toast.show({ text: errorMessage(err), tone: "error" });
    } finally {
      setSending(null);
    }
  };

  const rowProps = { projectId, classes, classesById, canDecide, sending, onAct: (item: Item, classId: string, kind: "vote" | "decide") => void act(item, classId, kind) };
  return (
    <div className="space-y-8">
      <ReviewQueue status="open" {...rowProps} />
      <ReviewQueue status="decided" {...rowProps} />
      {toast.element}
    </div>
  );
}

interface RowContext {
  projectId: string;
  classes: LabelClass[];
  classesById: Map<string, LabelClass>;
  canDecide: boolean;
  sending: string | null;
  onAct: (item: Item, classId: string, kind: "vote" | "decide") => void;
}

/** One of the two lists: open disagreements, or images settled by a decision (newest first). */
function ReviewQueue({ status, ...ctx }: RowContext & { status: Status }) {
  const trpc = useTRPC();
  const me = useMe().data;
  const list = useInfiniteQuery(
    trpc.review.disagreements.infiniteQueryOptions({ projectId: ctx.projectId, status, limit: status === "open" ? 50 : 20 }, { getNextPageParam: (last) => last.nextCursor ?? undefined }),
  );
  if (list.isPending) return status === "open" ? <LoadingPanel label="Loading disagreements…" /> : null;
  if (list.isError) return <Alert>{errorMessage(list.error)}</Alert>;
  const items = list.data.pages.flatMap((p) => p.items);
  const total = list.data.pages[0]?.total ?? items.length;
  // Nothing decided yet: the section would only say so.
  if (status === "decided" && total === 0) return null;
  return (
    <section className="space-y-3" data-testid={`review-${status}`} aria-labelledby={`review-${status}-title`}>
      {status === "open" ? (
        <p id="review-open-title" className="text-sm text-slate-500" data-testid="disagreement-total" data-count={total}>
          {total === 0 ? "No disagreements." : `${formatCount(total)} ${total === 1 ? "image needs" : "images need"} a decision.`}
        </p>
      ) : (
        <h2 id="review-decided-title" className="flex items-baseline gap-2 text-sm font-semibold text-slate-900">
          Decided
          <span className="text-xs font-normal text-slate-500" data-testid="decided-total" data-count={total}>
            {formatCount(total)} settled by a reviewer, newest first
          </span>
        </h2>
      )}
      {items.length === 0 ? (
        <EmptyState title="No disagreements to settle">When annotators give one image different classes, or mark a label as unsure, it shows up here.</EmptyState>
      ) : (
        <ul className="divide-y divide-slate-100 rounded-lg bg-white shadow-xs ring-1 ring-slate-200">
          {items.map((item) => (
            <Row key={item.imageId} item={item} myId={me?.id} {...ctx} />
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
    </section>
  );
}

function ClassChip({ classId, classesById }: { classId: string | null; classesById: Map<string, LabelClass> }) {
  const c = classId ? classesById.get(classId) : undefined;
  return (
    <span className="inline-flex items-center gap-1 font-medium">
      <ColorDot color={c?.color ?? "#94a3b8"} className="size-2" />
      {c?.name ?? "deleted class"}
    </span>
  );
}

function Row({ item, myId, projectId, classes, classesById, canDecide, sending, onAct }: RowContext & { item: Item; myId: string | undefined }) {
  const [open, setOpen] = useState(false);
  const busy = sending === item.imageId;
  const resolved = item.labelClassId ? classesById.get(item.labelClassId) : undefined;
  // A decision of mine is shown as the decision; "Your vote" would replace it with a plain vote.
  const myVote = item.votes.find((v) => v.userId === myId);
  const mine = myVote && !myVote.decision ? myVote.classId : null;
  const decision = item.decision;
  const contested = item.votes.some((v) => v.afterDecision && v.classId !== decision?.classId);
  const suggestion = item.suggestion;
  return (
    <li className="flex flex-wrap gap-4 p-4" data-testid="disagreement" data-image-id={item.imageId}>
      <a href={`/api/images/${item.imageId}/original`} target="_blank" rel="noreferrer" className="shrink-0">
        <img src={`/api/images/${item.imageId}/thumbnail`} alt={item.filename} className="size-24 rounded bg-slate-100 object-contain ring-1 ring-slate-200" loading="lazy" />
      </a>
      <div className="min-w-0 flex-1 space-y-2">
        <div className="flex flex-wrap items-baseline justify-between gap-2">
          <h3 className="truncate font-mono text-sm font-medium text-slate-900" title={item.filename}>
            {item.filename}
          </h3>
          <span className="text-xs text-slate-500" data-testid="resolved-label" data-class-name={resolved?.name ?? ""}>
            Resolved label: {resolved ? <span className="font-medium text-slate-800">{resolved.name}</span> : <span className="italic">none</span>}
          </span>
        </div>
        {decision && (
          <p
            className="inline-flex flex-wrap items-center gap-1.5 rounded-md bg-emerald-50 px-2 py-1 text-xs text-emerald-900 ring-1 ring-emerald-200 ring-inset"
            data-testid="decision"
            data-decider={decision.name}
            data-class-name={classesById.get(decision.classId)?.name ?? ""}
          >
            <span aria-hidden="true">✓</span>
            <span>
              Decided by <span className="font-medium">{decision.userId === myId ? "you" : decision.name}</span>:
            </span>
            <ClassChip classId={decision.classId} classesById={classesById} />
            {contested && <span className="text-amber-800">· a later vote disagrees; the decision stands until a reviewer decides again</span>}
          </p>
        )}
        <ul className="flex flex-wrap gap-1.5" aria-label="Votes">
          {item.votes.map((v) => (
            <li
              key={v.userId}
              className="inline-flex items-center gap-1.5 rounded-full bg-slate-50 px-2 py-0.5 text-xs text-slate-700 ring-1 ring-slate-200"
              data-testid="vote"
              data-voter={v.name}
              data-class-name={v.classId ? (classesById.get(v.classId)?.name ?? "") : ""}
              data-decision={v.decision}
            >
              <span className="font-medium text-slate-700">{v.userId === myId ? "You" : v.name}</span>
              <ClassChip classId={v.classId} classesById={classesById} />
              {v.unsure && <span className="text-amber-700">(unsure)</span>}
              {v.decision && <span className="rounded bg-emerald-100 px-1 text-[10px] font-medium text-emerald-800">decision</span>}
              {v.afterDecision && <span className="text-slate-400">(later)</span>}
            </li>
          ))}
        </ul>
        {suggestion && (
          <p className="flex flex-wrap items-center gap-1 text-xs text-slate-500" data-testid="review-suggestion" data-class-name={classesById.get(suggestion.classId)?.name ?? ""}>
            <span>
              Model v{suggestion.modelVersion.version} <span className="text-slate-400">({modelStageNames[suggestion.modelVersion.stage].toLowerCase()})</span> suggests
            </span>
            <ClassChip classId={suggestion.classId} classesById={classesById} />
            <span>· {Math.round(suggestion.confidence * 100)}% sure</span>
            {suggestion.status !== "PENDING" && <span className="text-slate-400">· {suggestion.status.toLowerCase()}</span>}
          </p>
        )}
        <div className="flex flex-wrap items-center gap-1.5">
          <span className="mr-1 w-20 text-xs text-slate-500">Your vote:</span>
          {classes.map((c) => (
            <button
              key={c.id}
              type="button"
              disabled={busy}
              aria-pressed={mine === c.id}
              onClick={() => onAct(item, c.id, "vote")}
              data-testid="review-vote"
              data-class-name={c.name}
              className={`inline-flex items-center gap-1.5 rounded-md px-2 py-1 text-xs font-medium ring-1 ring-inset transition disabled:opacity-50 ${mine === c.id ? "bg-indigo-600 text-white ring-indigo-600" : "bg-white text-slate-700 ring-slate-300 hover:bg-slate-50"}`}
            >
              <ColorDot color={c.color} className="size-2" />
              {c.name}
              {c.hotkey && <Kbd>{c.hotkey}</Kbd>}
            </button>
          ))}
          <button type="button" className="ml-auto text-xs font-medium text-indigo-600 hover:text-indigo-500" onClick={() => setOpen((o) => !o)} aria-expanded={open}>
            {open ? "Hide history" : "History"}
          </button>
        </div>
        {canDecide && (
          <div className="flex flex-wrap items-center gap-1.5" role="group" aria-label="Decide the label">
            <span className="mr-1 w-20 text-xs text-slate-500" title="A decision names the label whatever the votes' counts">
              Decision:
            </span>
            {classes.map((c) => {
              const current = decision?.classId === c.id;
              return (
                <button
                  key={c.id}
                  type="button"
                  disabled={busy}
                  aria-pressed={current}
                  onClick={() => onAct(item, c.id, "decide")}
                  data-testid="review-decide"
                  data-class-name={c.name}
                  className={`inline-flex items-center gap-1.5 rounded-md px-2 py-1 text-xs font-medium ring-1 ring-inset transition focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-600 disabled:opacity-50 ${current ? "bg-emerald-600 text-white ring-emerald-600" : "bg-white text-emerald-800 ring-emerald-300 hover:bg-emerald-50"}`}
                >
                  <ColorDot color={c.color} className="size-2" />
                  Decide as {c.name}
                </button>
              );
            })}
          </div>
        )}
        {open && (
          <div className="rounded-md bg-slate-50 p-3">
            <LabelHistory projectId={projectId} imageId={item.imageId} classesById={classesById} />
          </div>
        )}
      </div>
    </li>
  );
}
