"use client";
// Possible label errors (issue 17): human labels the model confidently contradicts, least self-confident first. A
// reviewer keeps the label or changes it, each a decision recorded in the image's history; the list follows the team
// live (a label changed elsewhere drops its issue).
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { LabelClass, RouterOutputs } from "~/lib/api-types";
import { errorMessage } from "~/lib/errors";
import { formatCount } from "~/lib/format";
import { useTRPC, useTRPCClient } from "~/lib/trpc";
import { Alert } from "../ui/alert";
import { ColorDot } from "../ui/badge";
import { useToast } from "../ui/toast";

type Issue = RouterOutputs["review"]["labelIssues"]["items"][number];

export function LabelIssueList({ projectId, classes, canDecide }: { projectId: string; classes: LabelClass[]; canDecide: boolean }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const toast = useToast();
  const list = useQuery(trpc.review.labelIssues.queryOptions({ projectId, limit: 50 }));
  const [done, setDone] = useState<Set<string>>(() => new Set());
  const [busy, setBusy] = useState<string | null>(null);
  const byId = new Map(classes.map((c) => [c.id, c]));
  const name = (id: string) => byId.get(id)?.name ?? "deleted class";

  const resolve = async (issue: Issue, classId: string) => {
    setBusy(issue.id);
    try {
      await client.review.resolveIssue.mutate({ projectId, issueId: issue.id, classId });
      setDone((d) => new Set(d).add(issue.id));
      toast.show({ text: classId === issue.givenClassId ? `Kept ${name(classId)} for ${issue.filename.split("/").pop()}.` : `Changed ${issue.filename.split("/").pop()} to ${name(classId)}.` });
      void list.refetch();
    } catch (err) {
      toast.show({ text: errorMessage(err), tone: "error" });
    } finally {
      setBusy(null);
    }
  };

  if (list.isPending || list.isError) return list.isError ? <Alert>{errorMessage(list.error)}</Alert> : null;
  const items = list.data.items.filter((i) => !done.has(i.id));
  if (items.length === 0) return null;
  return (
    <section className="space-y-3" data-testid="label-issues">
      <div>
        <h2 className="text-base font-semibold text-slate-900">Possible label errors</h2>
        <p className="text-sm text-slate-500" data-testid="label-issue-total" data-count={list.data.total}>
          {formatCount(list.data.total)} {list.data.total === 1 ? "label" : "labels"} the model confidently contradicts (out-of-sample, per-class thresholds: confident learning). A second look settles
          each with a decision, kept in the image&apos;s history.
        </p>
      </div>
      <ul className="divide-y divide-slate-100 rounded-lg bg-white shadow-xs ring-1 ring-slate-200">
        {items.map((issue) => (
          <li key={issue.id} className="flex flex-wrap items-center gap-4 p-3" data-testid="label-issue" data-image-id={issue.imageId}>
            <img src={`/api/images/${issue.imageId}/thumbnail`} alt={issue.filename} loading="lazy" className="size-20 shrink-0 rounded bg-slate-100 object-contain ring-1 ring-slate-200" />
            <div className="min-w-0 flex-1 space-y-1 text-sm">
              <div className="truncate font-mono text-xs text-slate-500" title={issue.filename}>
                {issue.filename}
              </div>
              <div className="flex flex-wrap items-center gap-x-2 text-slate-700">
                <span className="inline-flex items-center gap-1 font-medium">
                  <ColorDot color={byId.get(issue.givenClassId)?.color ?? "#94a3b8"} className="size-2" />
                  {name(issue.givenClassId)}
                </span>
                <span className="text-slate-500">
                  labelled{issue.labelledBy ? ` by ${issue.labelledBy}` : ""}, the model {Math.round(issue.selfConfidence * 100)}% sure of it;
                </span>
                <span className="inline-flex items-center gap-1">
                  it says <ColorDot color={byId.get(issue.suggestedClassId)?.color ?? "#94a3b8"} className="size-2" />
                  <span className="font-medium">{name(issue.suggestedClassId)}</span> ({Math.round(issue.suggestedConfidence * 100)}%)
                </span>
              </div>
            </div>
            {canDecide && (
              <div className="flex flex-wrap items-center gap-1.5">
                <button
                  type="button"
                  disabled={busy === issue.id}
                  onClick={() => void resolve(issue, issue.givenClassId)}
                  className="rounded-md bg-white px-2.5 py-1 text-xs font-medium text-slate-700 ring-1 ring-slate-300 ring-inset hover:bg-slate-50 disabled:opacity-50"
                  data-testid="issue-keep"
                >
                  Keep {name(issue.givenClassId)}
                </button>
                <button
                  type="button"
                  disabled={busy === issue.id}
                  onClick={() => void resolve(issue, issue.suggestedClassId)}
                  className="rounded-md bg-indigo-600 px-2.5 py-1 text-xs font-medium text-white hover:bg-indigo-500 disabled:opacity-50"
                  data-testid="issue-change"
                >
                  Change to {name(issue.suggestedClassId)}
                </button>
              </div>
            )}
          </li>
        ))}
      </ul>
      {toast.element}
    </section>
  );
}
