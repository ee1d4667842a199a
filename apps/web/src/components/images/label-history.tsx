"use client";
// Every change to one image's label, newest first: who, when, from what, to what, and which were reviewers'
// decisions. Updated live (the live hook invalidates an image's history when a label event for it arrives).
import { useQuery } from "@tanstack/react-query";
import type { LabelClass } from "~/lib/api-types";
import { errorMessage } from "~/lib/errors";
import { formatDate } from "~/lib/format";
import { useTRPC } from "~/lib/trpc";
import { ColorDot } from "../ui/badge";
import { Spinner } from "../ui/spinner";

const sources: Record<string, string> = { HUMAN: "", IMPORT: "import", MODEL: "model", MODEL_REVIEWED: "model, reviewed" };

function ClassName({ classId, classesById }: { classId: string | null; classesById: Map<string, LabelClass> }) {
  if (!classId) return <span className="text-slate-400 italic">none</span>;
  const c = classesById.get(classId);
  return (
    <span className="inline-flex items-center gap-1 font-medium text-slate-800">
      <ColorDot color={c?.color ?? "#94a3b8"} className="size-2" />
      {c?.name ?? "deleted class"}
    </span>
  );
}

export function LabelHistory({ projectId, imageId, classesById }: { projectId: string; imageId: string; classesById: Map<string, LabelClass> }) {
  const trpc = useTRPC();
  const history = useQuery(trpc.images.history.queryOptions({ projectId, imageId }));
  return (
    <div data-testid="label-history">
      <h3 className="text-xs font-medium tracking-wide text-slate-500 uppercase">History</h3>
      {history.isPending ? (
        <Spinner className="mt-2 size-3.5 text-slate-400" />
      ) : history.isError ? (
        <p className="mt-1 text-xs text-rose-600">{errorMessage(history.error)}</p>
      ) : history.data.length === 0 ? (
        <p className="mt-1 text-xs text-slate-500">No label has been given yet.</p>
      ) : (
        <ol className="mt-1.5 max-h-56 space-y-2 overflow-auto pr-1">
          {[...history.data].reverse().map((h) => (
            <li key={h.id} className="text-xs leading-snug" data-testid="history-item" data-decision={h.decision}>
              <div className="flex flex-wrap items-center gap-1">
                <ClassName classId={h.previousClassId} classesById={classesById} />
                <span className="text-slate-400">→</span>
                <ClassName classId={h.classId} classesById={classesById} />
                {h.decision && (
                  <span
                    className="rounded bg-emerald-100 px-1 text-[10px] font-medium text-emerald-800"
                    data-testid="history-decision"
                    title="A reviewer's decision: it names the label whatever the votes' counts"
                  >
                    decision
                  </span>
                )}
                {h.unsure && <span className="rounded bg-amber-100 px-1 text-[10px] font-medium text-amber-800">unsure</span>}
                {h.undo && <span className="rounded bg-slate-100 px-1 text-[10px] font-medium text-slate-600">undo</span>}
              </div>
              <div className="text-slate-500">
                {h.author?.name ?? (sources[h.source] || "someone")}
                {sources[h.source] ? ` (${sources[h.source]})` : ""} · {formatDate(h.createdAt)}
              </div>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
