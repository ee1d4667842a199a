"use client";
// Bulk accept: every pending suggestion at or above a confidence (and of the filtered class), after showing how many
// that is. Reviewers and owners only; the server caps one bulk accept and says so.
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { LabelClass } from "~/lib/api-types";
import { errorMessage } from "~/lib/errors";
import { plural } from "~/lib/format";
import { useTRPC } from "~/lib/trpc";
import { Button } from "../ui/button";
import { inputClass } from "../ui/field";

export function BulkAccept({ projectId, classId, classes, onDone }: { projectId: string; classId: string | null; classes: LabelClass[]; onDone: (text: string, error?: boolean) => void }) {
  const trpc = useTRPC();
  const [threshold, setThreshold] = useState(90);
  const [confirming, setConfirming] = useState(false);
  const input = { projectId, classId, minConfidence: threshold / 100 };
  const preview = useQuery(trpc.pseudoLabels.bulkAcceptPreview.queryOptions(input));
  const accept = useMutation(
    trpc.pseudoLabels.bulkAccept.mutationOptions({
      onSuccess: (r) => onDone(`Accepted ${plural(r.accepted, "suggestion")} at ${threshold}% confidence or more.`),
      onError: (err) => onDone(errorMessage(err), true),
      onSettled: () => setConfirming(false),
    }),
  );
  const className = classId ? classes.find((c) => c.id === classId)?.name : null;
  const count = preview.data?.willAccept;
  return (
    <div className="flex flex-wrap items-center gap-3 rounded-lg bg-white px-4 py-3 text-sm shadow-xs ring-1 ring-slate-200" data-testid="bulk-accept">
      <label className="flex items-center gap-2 text-slate-700">
        <span className="font-medium">Bulk accept</span>
        {className ? <span className="text-slate-500">{className}</span> : null}
        <span className="text-slate-500">at ≥</span>
        <input
          type="number"
          min={0}
          max={100}
          step={1}
          value={threshold}
          onChange={(e) => {
            setConfirming(false);
            setThreshold(Math.max(0, Math.min(100, Number(e.target.value) || 0)));
          }}
          className={inputClass(false, "w-20 py-1")}
          aria-label="Bulk accept threshold in percent"
          data-testid="bulk-threshold"
        />
        <span className="text-slate-500">% confidence</span>
      </label>
      <span className="text-slate-600" data-testid="bulk-preview" data-count={count ?? ""}>
        {count === undefined
          ? "…"
          : count === 0
            ? "Nothing that confident is pending."
            : `Will accept ${plural(count, "suggestion")}${preview.data && preview.data.count > preview.data.willAccept ? ` (of ${preview.data.count}; at most ${preview.data.max} at once)` : ""}.`}
      </span>
      <div className="ml-auto flex gap-2">
        {confirming ? (
          <>
            <Button size="sm" onClick={() => setConfirming(false)}>
              Cancel
            </Button>
            <Button size="sm" variant="primary" loading={accept.isPending} onClick={() => accept.mutate(input)} data-testid="bulk-confirm">
              Accept {count}
            </Button>
          </>
        ) : (
          <Button size="sm" variant="primary" disabled={!count} onClick={() => setConfirming(true)} data-testid="bulk-start">
            Accept these…
          </Button>
        )}
      </div>
    </div>
  );
}
