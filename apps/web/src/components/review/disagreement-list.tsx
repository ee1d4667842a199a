"use client";
// The reviewers' queue: images whose annotators disagree (different classes, or someone unsure), each with every
// vote. A reviewer settles one by voting: the image's label is resolved from all votes (the documented rule in
// packages/api/src/services/resolve-label.ts), so a reviewer's vote breaks a tie. The list follows the team live.
import { useInfiniteQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { LabelClass, RouterOutputs } from "~/lib/api-types";
import { errorMessage } from "~/lib/errors";
import { formatCount } from "~/lib/format";
import { newClientId, sendLabel } from "~/lib/realtime/connection";
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

export function DisagreementList({ projectId, classes }: { projectId: string; classes: LabelClass[] }) {
  const trpc = useTRPC();
  const me = useMe().data;
  const toast = useToast();
  const classesById = new Map(classes.map((c) => [c.id, c]));
  const list = useInfiniteQuery(trpc.review.disagreements.infiniteQueryOptions({ projectId, limit: 50 }, { getNextPageParam: (last) => last.nextCursor ?? undefined }));
  const [sending, setSending] = useState<string | null>(null);

  const vote = async (item: Item, classId: string) => {
    setSending(item.imageId);
    try {
      await sendLabel({ projectId, imageId: item.imageId, classId, unsure: false, clientLabelId: newClientId() });
      toast.show({ text: `Voted ${classesById.get(classId)?.name ?? "class"} for ${item.filename.split("/").pop()}.` });
    } catch (err) {
      toast.show({ text: errorMessage(err), tone: "error" });
    } finally {
      setSending(null);
    }
  };

  if (list.isPending) return <LoadingPanel label="Loading disagreements…" />;
  if (list.isError) return <Alert>{errorMessage(list.error)}</Alert>;
  const items = list.data.pages.flatMap((p) => p.items);
  const total = list.data.pages[0]?.total ?? items.length;
  return (
    <div className="space-y-3">
      <p className="text-sm text-slate-500" data-testid="disagreement-total" data-count={total}>
        {total === 0 ? "No disagreements." : `${formatCount(total)} ${total === 1 ? "image needs" : "images need"} a decision.`}
      </p>
      {items.length === 0 ? (
        <EmptyState title="Nothing to review">When annotators give one image different classes, or mark a label as unsure, it shows up here.</EmptyState>
      ) : (
        <ul className="divide-y divide-slate-100 rounded-lg bg-white shadow-xs ring-1 ring-slate-200">
          {items.map((item) => (
            <Row key={item.imageId} item={item} projectId={projectId} classes={classes} classesById={classesById} myId={me?.id} busy={sending === item.imageId} onVote={(c) => void vote(item, c)} />
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

function Row({
  item,
  projectId,
  classes,
  classesById,
  myId,
  busy,
  onVote,
}: {
  item: Item;
  projectId: string;
  classes: LabelClass[];
  classesById: Map<string, LabelClass>;
  myId: string | undefined;
  busy: boolean;
  onVote: (classId: string) => void;
}) {
  const [open, setOpen] = useState(false);
  const resolved = item.labelClassId ? classesById.get(item.labelClassId) : undefined;
  const mine = item.votes.find((v) => v.userId === myId)?.classId ?? null;
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
        <ul className="flex flex-wrap gap-1.5" aria-label="Votes">
          {item.votes.map((v) => {
            const c = v.classId ? classesById.get(v.classId) : undefined;
            return (
              <li key={v.userId} className="inline-flex items-center gap-1.5 rounded-full bg-slate-50 px-2 py-0.5 text-xs ring-1 ring-slate-200" data-testid="vote" data-voter={v.name} data-class-name={c?.name ?? ""}>
                <span className="font-medium text-slate-700">{v.userId === myId ? "You" : v.name}</span>
                <ColorDot color={c?.color ?? "#94a3b8"} className="size-2" />
                {c?.name ?? "deleted class"}
                {v.unsure && <span className="text-amber-700">(unsure)</span>}
              </li>
            );
          })}
        </ul>
        <div className="flex flex-wrap items-center gap-1.5">
          <span className="mr-1 text-xs text-slate-500">Your vote:</span>
          {classes.map((c) => (
            <button
              key={c.id}
              type="button"
              disabled={busy}
              aria-pressed={mine === c.id}
              onClick={() => onVote(c.id)}
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
        {open && (
          <div className="rounded-md bg-slate-50 p-3">
            <LabelHistory projectId={projectId} imageId={item.imageId} classesById={classesById} />
          </div>
        )}
      </div>
    </li>
  );
}
