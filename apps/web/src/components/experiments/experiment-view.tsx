"use client";
// One experiment: while it runs, a progress bar per task (the running one marked) and a cancel button for owners;
// when done, the results table with every arm beside the best baseline at its label fraction (flagged where the arm
// does not beat it), the baselines themselves, and the accuracy plot (the same writers as the CLI's results folder).
import { BUDGETS } from "./experiment-form";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { accuracyPlotSvg, baselineLabel, bestBaseline, compareWithBaselines, type ExperimentResults, type Interval } from "@fewlabel/experiments/report";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Card } from "~/components/ui/card";
import { ProgressBar } from "~/components/ui/progress-bar";
import type { RouterOutputs } from "~/lib/api-types";
import { errorMessage } from "~/lib/errors";
import { formatDate } from "~/lib/format";
import { useTRPC } from "~/lib/trpc";

type Experiment = RouterOutputs["experiments"]["list"][number];
interface TaskProgress {
  id: string;
  label: string;
  steps: number;
  step: number;
  done: boolean;
  testAccuracy?: number;
  bestBaseline?: { name: string; testAccuracy: number };
  seconds?: number;
}
interface Progress {
  phase?: "preparing" | "training" | "finished";
  tasks?: TaskProgress[];
  current?: string | null;
  loss?: number;
  imagesPerSecond?: number;
  trainImages?: number;
  testImages?: number;
  skippedImages?: number;
}

const ordinal = (n: number) => `${n}${n % 10 === 1 && n % 100 !== 11 ? "st" : n % 10 === 2 && n % 100 !== 12 ? "nd" : n % 10 === 3 && n % 100 !== 13 ? "rd" : "th"}`;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const range = (i: Interval) => `${(i.low * 100).toFixed(1)}–${(i.high * 100).toFixed(1)}`;
const fraction = (f: number) => `${+(f * 100).toPrecision(3)}%`;
const statusTone = {
  QUEUED: "text-amber-700 bg-amber-50",
  RUNNING: "text-indigo-700 bg-indigo-50",
  SUCCEEDED: "text-emerald-700 bg-emerald-50",
  FAILED: "text-rose-700 bg-rose-50",
  CANCELLED: "text-slate-600 bg-slate-100",
} as const;

export function ExperimentView({ experiment, projectId, projectName, canCancel }: { experiment: Experiment; projectId: string; projectName: string; canCancel: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const cancel = useMutation(trpc.experiments.cancel.mutationOptions({ onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.experiments.list.queryKey({ projectId }) }) }));
  const progress = experiment.progress as Progress;
  const config = experiment.config as { budget: string; seed: number; labelFractions: number[] };
  const results = experiment.results as ExperimentResults | null;
  const running = experiment.status === "RUNNING" || experiment.status === "QUEUED";
  return (
    <Card
      title={
        <span className="flex items-center gap-2">
          Experiment of {formatDate(experiment.createdAt)}
          <span className={`rounded px-1.5 py-0.5 text-xs font-medium ${statusTone[experiment.status]}`} data-testid="experiment-status">
            {experiment.status === "QUEUED" && experiment.queuePosition ? `queued, ${ordinal(experiment.queuePosition)} in line` : experiment.status.toLowerCase()}
          </span>
        </span>
      }
      description={`${BUDGETS.find((b) => b.value === config.budget)?.name ?? config.budget} budget, labels ${config.labelFractions.map(fraction).join(" and ")}, seed ${config.seed}, started by ${experiment.createdBy.name}`}
      actions={
        running && canCancel ? (
          <Button size="sm" variant="dangerGhost" loading={cancel.isPending} onClick={() => cancel.mutate({ projectId, experimentId: experiment.id })} data-testid="cancel-experiment">
            Cancel
          </Button>
        ) : undefined
      }
    >
      <div className="space-y-4" data-testid="experiment">
        {cancel.isError && <Alert>{errorMessage(cancel.error)}</Alert>}
        {experiment.status === "FAILED" && <Alert>The experiment failed: {experiment.error}</Alert>}
        {experiment.status === "QUEUED" && (
          <Alert tone="info">Waiting for a free place: this server runs a limited number of experiments at once, and each person one at a time. It starts by itself.</Alert>
        )}
        {progress.trainImages !== undefined && (
          <p className="text-sm text-slate-600">
            {progress.trainImages} training images (labelled and unlabelled), {progress.testImages} held-out test images
            {progress.skippedImages ? `, ${progress.skippedImages} images could not be decoded and were left out` : ""}.
          </p>
        )}
        {running && progress.phase === "preparing" && <ProgressBar value={undefined} label="Preparing the images" />}
        {(running || !results) && progress.tasks && (
          <ol className="space-y-2" data-testid="experiment-progress">
            {progress.tasks.map((t) => (
              <li
                key={t.id}
                className={`rounded-md px-2 py-1 ${progress.current === t.id && running ? "bg-indigo-50" : ""}`}
                data-testid={`task-${t.id}`}
                data-current={progress.current === t.id && running ? "true" : undefined}
              >
                <div className="flex justify-between gap-3 text-xs text-slate-600">
                  <span className={progress.current === t.id && running ? "font-semibold text-indigo-800" : ""}>{t.label}</span>
                  <span>
                    {t.testAccuracy !== undefined
                      ? `test accuracy ${pct(t.testAccuracy)}`
                      : t.bestBaseline
                        ? `best: ${baselineLabel(t.bestBaseline.name)} ${pct(t.bestBaseline.testAccuracy)}`
                        : t.done
                          ? "done"
                          : `${t.step}/${t.steps} steps`}
                  </span>
                </div>
                <ProgressBar value={(100 * t.step) / Math.max(1, t.steps)} label={t.label} tone={t.done ? "emerald" : "indigo"} />
              </li>
            ))}
          </ol>
        )}
        {running && progress.imagesPerSecond !== undefined && (
          <p className="text-xs text-slate-500">
            loss {progress.loss?.toFixed(3)}, {progress.imagesPerSecond.toFixed(0)} images/s
          </p>
        )}
        {results && <ExperimentResultsView results={{ ...results, dataset: projectName }} />}
      </div>
    </Card>
  );
}

function ExperimentResultsView({ results }: { results: ExperimentResults }) {
  const svg = accuracyPlotSvg(results);
  const baselines = results.baselines ?? [];
  const baselineNames = [...new Set(baselines.flatMap((b) => b.scores.map((s) => s.name)))];
  // Every training label (the fully supervised arm's): a small fraction of a small project rounds up to a label a class.
  const allLabels = results.arms.find((a) => a.labelFraction === 1)?.labelsUsed;
  return (
    <div className="space-y-4">
      <div className="overflow-x-auto">
        <table className="min-w-full text-sm" data-testid="experiment-results">
          <thead className="text-left text-xs text-slate-500">
            <tr>
              <th className="py-1 pr-4">arm</th>
              <th className="py-1 pr-4">labels used</th>
              <th className="py-1 pr-4">test accuracy (95% interval)</th>
              <th className="py-1 pr-4">best baseline, same labels</th>
              <th className="py-1 pr-4">wall time</th>
              <th className="py-1 pr-4">backend</th>
              <th className="py-1 pr-4">epochs</th>
            </tr>
          </thead>
          <tbody>
            {compareWithBaselines(results).map(({ arm: a, interval, best, beats }) => (
              <tr key={a.name} className="border-t border-slate-100" data-beats-baseline={beats === null ? undefined : String(beats)}>
                <td className="py-1 pr-4 font-medium">{a.name}</td>
                <td className="py-1 pr-4" data-testid="arm-labels">
                  {a.labelsUsed} ({fraction(a.labelFraction)}
                  {allLabels && a.labelsUsed > Math.round(allLabels * a.labelFraction) ? `, ${fraction(a.labelsUsed / allLabels)} in fact: every class keeps at least one label` : ""})
                </td>
                <td className="py-1 pr-4">
                  {pct(a.testAccuracy)} <span className="text-xs text-slate-500">({range(interval)})</span>
                </td>
                <td className="py-1 pr-4">
                  {best ? (
                    <>
                      {baselineLabel(best.name)} {pct(best.testAccuracy)}
                      {beats ? (
                        <span className="ml-1 text-xs text-emerald-700">+{((a.testAccuracy - best.testAccuracy) * 100).toFixed(1)} points</span>
                      ) : (
                        <span className="ml-1 rounded bg-rose-50 px-1 text-xs font-medium text-rose-700" data-testid="not-above-baseline">
                          does not beat it ({((a.testAccuracy - best.testAccuracy) * 100).toFixed(1)} points)
                        </span>
                      )}
                    </>
                  ) : (
                    <span className="text-slate-400">not measured</span>
                  )}
                </td>
                <td className="py-1 pr-4">{a.seconds.toFixed(1)} s</td>
                <td className="py-1 pr-4">{a.backend}</td>
                <td className="py-1 pr-4">{a.epochs.toFixed(a.epochs >= 10 ? 0 : 2)}</td>
              </tr>
            ))}
            {results.pretrain && (
              <tr className="border-t border-slate-100 text-slate-500">
                <td className="py-1 pr-4">simclr-pretrain (shared, no labels)</td>
                <td className="py-1 pr-4">0</td>
                <td className="py-1 pr-4">-</td>
                <td className="py-1 pr-4">-</td>
                <td className="py-1 pr-4">{results.pretrain.seconds.toFixed(1)} s</td>
                <td className="py-1 pr-4">{results.backend}</td>
                <td className="py-1 pr-4">{results.pretrain.epochs.toFixed(2)}</td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {baselines.length > 0 && (
        <div className="overflow-x-auto">
          <p className="mb-1 text-xs text-slate-500">
            Baselines: trained on the same labelled images as the arms at each fraction, scored on the same {results.testImages} test images (95% interval in brackets, the best in bold).
          </p>
          <table className="min-w-full text-sm" data-testid="experiment-baselines">
            <thead className="text-left text-xs text-slate-500">
              <tr>
                <th className="py-1 pr-4">labels</th>
                {baselineNames.map((n) => (
                  <th key={n} className="py-1 pr-4">
                    {baselineLabel(n)}
                  </th>
                ))}
                <th className="py-1 pr-4">wall time</th>
              </tr>
            </thead>
            <tbody>
              {baselines.map((b) => {
                const best = bestBaseline(b);
                return (
                  <tr key={b.task} className="border-t border-slate-100">
                    <td className="py-1 pr-4">
                      {b.labelsUsed} ({fraction(b.labelFraction)})
                    </td>
                    {baselineNames.map((n) => {
                      const s = b.scores.find((x) => x.name === n);
                      return (
                        <td key={n} className={`py-1 pr-4 ${s && s === best ? "font-semibold" : ""}`}>
                          {s ? (
                            <>
                              {pct(s.testAccuracy)} <span className="text-xs font-normal text-slate-500">({range(s.interval)})</span>
                            </>
                          ) : (
                            "-"
                          )}
                        </td>
                      );
                    })}
                    <td className="py-1 pr-4">{b.seconds.toFixed(1)} s</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {/* An <img> of our own SVG: rendered as a picture, so nothing in it can run. */}
      <img src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`} alt="Test accuracy against label fraction" className="w-full max-w-2xl" data-testid="experiment-plot" />
      <p className="text-xs text-slate-500">
        {results.trainImages} training and {results.testImages} test images, backend {results.backend} ({results.backendDetail}), {results.totalSeconds.toFixed(0)} s in all.
      </p>
    </div>
  );
}
