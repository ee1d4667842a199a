"use client";
// The owner's form to start an experiment on the project's labelled images: budget, label fractions, seed and the
// share of labels held out for testing.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { errorMessage } from "~/lib/errors";
import { inputClass } from "~/components/ui/field";
import { useTRPC } from "~/lib/trpc";

const FRACTIONS = [0.5, 0.25, 0.1, 0.05, 0.01];
export const BUDGETS = [
  { value: "tiny", label: "Smoke test (about a minute)", name: "smoke test" },
  { value: "quick", label: "Quick (about 10 minutes on 2 CPU cores)", name: "quick" },
  { value: "full", label: "Full (hours on a CPU)", name: "full" },
] as const;

export function ExperimentForm({ projectId, disabled }: { projectId: string; disabled: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [budget, setBudget] = useState<(typeof BUDGETS)[number]["value"]>("quick");
  const [fractions, setFractions] = useState<number[]>([0.1, 0.01]);
  const [seed, setSeed] = useState("0");
  const [testPercent, setTestPercent] = useState("20");
  const start = useMutation(
    trpc.experiments.start.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.experiments.list.queryKey({ projectId }) }),
    }),
  );
  const toggle = (f: number) => setFractions((fs) => (fs.includes(f) ? fs.filter((x) => x !== f) : [...fs, f].sort((a, b) => b - a)));
  return (
    <form
      className="space-y-4"
      data-testid="experiment-form"
      onSubmit={(e) => {
        e.preventDefault();
        start.mutate({ projectId, budget, labelFractions: fractions, seed: Number(seed), testFraction: Number(testPercent) / 100 });
      }}
    >
      <div className="grid gap-4 sm:grid-cols-2">
        <label className="block text-sm">
          <span className="font-medium text-slate-700">Budget</span>
          <select className={inputClass(false, "mt-1")} value={budget} onChange={(e) => setBudget(e.target.value as typeof budget)} data-testid="experiment-budget">
            {BUDGETS.map((b) => (
              <option key={b.value} value={b.value}>
                {b.label}
              </option>
            ))}
          </select>
        </label>
        <fieldset className="text-sm">
          <legend className="font-medium text-slate-700">Labels the semi-supervised arms may use</legend>
          <div className="mt-2 flex flex-wrap gap-3">
            {FRACTIONS.map((f) => (
              <label key={f} className="inline-flex items-center gap-1.5">
                <input type="checkbox" checked={fractions.includes(f)} onChange={() => toggle(f)} data-testid={`experiment-fraction-${f * 100}`} />
                {f * 100}%
              </label>
            ))}
          </div>
        </fieldset>
        <label className="block text-sm">
          <span className="font-medium text-slate-700">Seed</span>
          <input className={inputClass(false, "mt-1")} inputMode="numeric" value={seed} onChange={(e) => setSeed(e.target.value)} />
        </label>
        <label className="block text-sm">
          <span className="font-medium text-slate-700">Labelled images held out for testing (%)</span>
          <input className={inputClass(false, "mt-1")} inputMode="numeric" value={testPercent} onChange={(e) => setTestPercent(e.target.value)} />
        </label>
      </div>
      <p className="text-xs text-slate-500">
        The held-out share of every class is the test set for all arms. The rest trains: supervised on 100% and on each chosen fraction of its labels (stratified by class, chosen by the seed), and
        SimCLR (pretraining on every image without labels, fine-tuning on the fraction, distilling a small student), plus a linear evaluation of the pretrained encoder.
      </p>
      {start.isError && <Alert>{errorMessage(start.error)}</Alert>}
      <Button type="submit" variant="primary" loading={start.isPending} disabled={disabled || fractions.length === 0} data-testid="start-experiment">
        Start experiment
      </Button>
    </form>
  );
}
