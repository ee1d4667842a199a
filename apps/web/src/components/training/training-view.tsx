"use client";
// The live training view: what the trainer is doing and why (its own report of its decision), is a trainer online,
// which stage runs, how far it is (progress bar with a counted-down ETA), its loss and accuracy curves, backend and
// images/s, and the runs before it. Owners pause, resume, or ask for a fine-tune now. Progress and the trainer's
// decisions arrive over the project's event stream (useProjectLive writes them into the cache).
import { useMutation, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, type ReactNode, useEffect, useState } from "react";
import type { RouterOutputs } from "~/lib/api-types";
import { errorMessage } from "~/lib/errors";
import { formatCount, formatDate, plural } from "~/lib/format";
import { type ActivityTone, describeActivity, isCurrentRun } from "~/lib/training/activity";
import { etaNow, formatDuration, runPercent, stageNames } from "~/lib/training/format";
import { useTRPC } from "~/lib/trpc";
import { Alert } from "../ui/alert";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { Card } from "../ui/card";
import { inputClass } from "../ui/field";
import { ProgressBar } from "../ui/progress-bar";
import { LoadingPanel } from "../ui/spinner";
import { LineChart } from "./line-chart";

type Status = RouterOutputs["training"]["status"];
type Run = NonNullable<Status["current"]>;

const statusTones: Record<Run["status"], string> = {
  RUNNING: "bg-indigo-50 text-indigo-700 ring-indigo-200",
  PAUSED: "bg-amber-50 text-amber-800 ring-amber-200",
  DONE: "bg-emerald-50 text-emerald-700 ring-emerald-200",
  FAILED: "bg-rose-50 text-rose-700 ring-rose-200",
};

function useNow(everyMs: number) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

export function TrainingView({ projectId, canManage }: { projectId: string; canManage: boolean }) {
  const trpc = useTRPC();
  // A trainer killed without a goodbye shows as offline once its lease lapses: look again now and then.
  const status = useQuery({ ...trpc.training.status.queryOptions({ projectId }), refetchInterval: 15_000 });
  const now = useNow(1_000);
  if (status.isPending) return <LoadingPanel label="Loading training status…" />;
  if (status.isError) return <Alert>{errorMessage(status.error)}</Alert>;
  const s = status.data;
  const online = s.trainer !== null && new Date(s.trainer.expiresAt).getTime() > now;
  const run = s.current;
  // A finished run is history: the page shows it as the last run, not as what the trainer is doing now.
  const current = isCurrentRun(run) ? run : null;
  const last = current ? null : run;
  return (
    <div className="space-y-5">
      {s.trainerError && (
        <div data-testid="trainer-error">
          <Alert>
            The trainer could not train this project{s.trainerError.at ? ` (last tried ${formatDate(s.trainerError.at)})` : ""}: {s.trainerError.message}
          </Alert>
        </div>
      )}
      <ActivityBanner status={s} online={online} now={now} actions={canManage ? <Controls projectId={projectId} paused={s.control.paused} /> : undefined} />
      <div className="grid gap-4 md:grid-cols-3">
        <div className="rounded-lg bg-white px-4 py-3 shadow-xs ring-1 ring-slate-200" data-testid="trainer-state" data-online={online}>
          <div className="text-xs text-slate-500">Trainer</div>
          <div className="mt-0.5 flex items-center gap-2 text-sm font-medium text-slate-900">
            <span className={`size-2 rounded-full ${online ? "bg-emerald-500" : "bg-slate-300"}`} aria-hidden="true" />
            {online ? "Online" : "Offline"}
            {s.control.paused && <Badge className="bg-amber-50 text-amber-800 ring-amber-200">paused</Badge>}
          </div>
          <div className="mt-0.5 truncate text-xs text-slate-500" title={s.trainer?.holder}>
            {online ? s.trainer!.holder : "No trainer is connected. Labelling works without one."}
          </div>
        </div>
        <div className="rounded-lg bg-white px-4 py-3 shadow-xs ring-1 ring-slate-200">
          <div className="text-xs text-slate-500">Labels</div>
          <div className="mt-0.5 text-sm font-medium text-slate-900 tabular-nums" data-testid="training-labelled">
            {formatCount(s.counts.labelled)} of {formatCount(s.counts.images)} images
          </div>
          <div className="mt-0.5 text-xs text-slate-500">
            {formatCount(s.counts.labelsSinceFineTune)} new since the last fine-tune; the next after {plural(s.counts.fineTuneThreshold, "new label")}
            {s.control.fineTuneRequested ? " (one was asked for)" : ""}.
          </div>
        </div>
        <div className="rounded-lg bg-white px-4 py-3 shadow-xs ring-1 ring-slate-200">
          <div className="text-xs text-slate-500">Suggestions</div>
          <div className="mt-0.5 text-sm font-medium text-slate-900 tabular-nums" data-testid="training-pending">
            {plural(s.counts.pendingSuggestions, "suggestion")} to review
          </div>
          <Link href={`/projects/${projectId}/suggestions`} className="text-xs font-medium text-indigo-600 hover:text-indigo-500">
            Review them →
          </Link>
        </div>
      </div>

      {current && (
        <Card title="Current run">
          <RunDetails run={current} now={now} updatedAt={status.dataUpdatedAt} />
        </Card>
      )}
      {!run && (
        <Card title="Current run">
          <p className="text-sm text-slate-500">Nothing has been trained yet. The trainer starts with contrastive pretraining once the project has enough images.</p>
        </Card>
      )}

      {(last || s.recent.length > 1) && (
        <Card title="Recent runs">
          {last && (
            <div className="mb-5">
              <h3 className="mb-3 text-xs font-medium tracking-wide text-slate-500 uppercase">Last run</h3>
              <RunDetails run={last} now={now} updatedAt={status.dataUpdatedAt} />
            </div>
          )}
          {s.recent.length > 1 && (
            <table className="w-full text-left text-sm" data-testid="recent-runs">
              <thead className="text-xs text-slate-500">
                <tr>
                  <th className="py-1 font-medium">Stage</th>
                  <th className="py-1 font-medium">Status</th>
                  <th className="py-1 font-medium">Steps</th>
                  <th className="py-1 font-medium">Loss</th>
                  <th className="py-1 font-medium">Started</th>
                  <th className="py-1 font-medium">Took</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {s.recent.map((r) => (
                  <tr key={r.runId}>
                    <td className="py-1.5">{stageNames[r.stage]}</td>
                    <td className="py-1.5">
                      <Badge className={statusTones[r.status]}>{r.status.toLowerCase()}</Badge>
                    </td>
                    <td className="py-1.5 tabular-nums">
                      {r.step} / {r.totalSteps}
                    </td>
                    <td className="py-1.5 tabular-nums">{r.loss?.toFixed(3) ?? "–"}</td>
                    <td className="py-1.5 text-slate-500">{formatDate(r.startedAt)}</td>
                    <td className="py-1.5 text-slate-500">{r.finishedAt ? formatDuration((new Date(r.finishedAt).getTime() - new Date(r.startedAt).getTime()) / 1000) : "–"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
      )}

      {canManage && <FineTuneSettings projectId={projectId} everyLabels={s.control.fineTuneEveryLabels} everyFraction={s.control.fineTuneEveryFraction} />}
    </div>
  );
}

const activityTones: Record<ActivityTone, { panel: string; dot: string }> = {
  offline: { panel: "bg-slate-50 ring-slate-200", dot: "bg-slate-300" },
  starting: { panel: "bg-white ring-slate-200", dot: "bg-slate-400" },
  working: { panel: "bg-indigo-50 ring-indigo-200", dot: "bg-indigo-500 animate-pulse" },
  waiting: { panel: "bg-amber-50 ring-amber-200", dot: "bg-amber-500" },
  paused: { panel: "bg-amber-50 ring-amber-200", dot: "bg-amber-500" },
  upToDate: { panel: "bg-emerald-50 ring-emerald-200", dot: "bg-emerald-500" },
};

/** How long the trainer has been at it: "just now" for the first seconds (clocks differ a little), then "for 3 min". */
function sinceText(since: Date, now: number): string {
  const seconds = (now - since.getTime()) / 1000;
  return seconds < 10 ? "just now" : `for ${formatDuration(seconds)}`;
}

/** The trainer's decision in one sentence ("Now: …, because …", "Waiting: for …", "Up to date: …"), with owners' switches. */
function ActivityBanner({ status, online, now, actions }: { status: Status; online: boolean; now: number; actions?: ReactNode }) {
  const line = describeActivity(status, online);
  const tone = activityTones[line.tone];
  return (
    <section
      className={`flex flex-wrap items-start justify-between gap-4 rounded-lg px-5 py-4 ring-1 ${tone.panel}`}
      data-testid="trainer-activity"
      data-tone={line.tone}
      data-kind={online ? (status.activity?.kind ?? "") : ""}
    >
      <div className="flex min-w-0 flex-1 items-start gap-3">
        <span className={`mt-2 size-2.5 shrink-0 rounded-full ${tone.dot}`} aria-hidden="true" />
        <div className="min-w-0">
          <p className="text-base text-slate-900" data-testid="trainer-activity-text">
            <span className="font-semibold">{line.label}:</span> {line.text}
          </p>
          {line.since && <p className="mt-0.5 text-xs text-slate-500">{sinceText(line.since, now)}</p>}
        </div>
      </div>
      {actions}
    </section>
  );
}

function Controls({ projectId, paused }: { projectId: string; paused: boolean }) {
  const trpc = useTRPC();
  const start = useMutation(trpc.training.start.mutationOptions());
  const pause = useMutation(trpc.training.pause.mutationOptions());
  const resume = useMutation(trpc.training.resume.mutationOptions());
  const error = start.error ?? pause.error ?? resume.error;
  return (
    <div className="flex flex-wrap items-center justify-end gap-2">
      {error && <span className="text-xs text-rose-600">{errorMessage(error)}</span>}
      {paused ? (
        <Button size="sm" loading={resume.isPending} onClick={() => resume.mutate({ projectId })} data-testid="training-resume">
          Resume
        </Button>
      ) : (
        <Button size="sm" loading={pause.isPending} onClick={() => pause.mutate({ projectId })} data-testid="training-pause">
          Pause
        </Button>
      )}
      <Button
        size="sm"
        variant="primary"
        loading={start.isPending}
        onClick={() => start.mutate({ projectId })}
        title="Fine-tune on the labels there are now, then pseudo-label and distil (unpauses)"
        data-testid="training-start"
      >
        Fine-tune now
      </Button>
    </div>
  );
}

function RunDetails({ run, now, updatedAt }: { run: Run; now: number; updatedAt: number }) {
  const pct = runPercent(run);
  const eta = run.status === "RUNNING" ? etaNow(run.etaSeconds, updatedAt, now) : null;
  const points = run.history.map((h) => ({ x: h.step, loss: h.loss, accuracy: h.accuracy }));
  const hasAccuracy = points.some((p) => p.accuracy !== null);
  return (
    <div className="space-y-4" data-testid="training-run" data-stage={run.stage} data-status={run.status} data-step={run.step}>
      <div className="flex flex-wrap items-center gap-3">
        <h3 className="text-sm font-semibold text-slate-900" data-testid="training-stage">
          {stageNames[run.stage]}
        </h3>
        <Badge className={statusTones[run.status]}>{run.status.toLowerCase()}</Badge>
        {run.startStep > 0 && <span className="text-xs text-slate-500">resumed from its checkpoint at step {run.startStep}</span>}
      </div>
      <div>
        <ProgressBar value={pct} label={`${stageNames[run.stage]}: step ${run.step} of ${run.totalSteps}`} testId="training-progress" tone={run.status === "DONE" ? "emerald" : "indigo"} />
        <div className="mt-1.5 flex flex-wrap justify-between gap-2 text-xs text-slate-500 tabular-nums">
          <span>
            step {formatCount(run.step)} / {formatCount(run.totalSteps)} ({Math.floor(pct)}%)
          </span>
          <span data-testid="training-eta">
            {run.status === "RUNNING" ? `about ${formatDuration(eta)} left` : run.finishedAt ? `finished ${formatDate(run.finishedAt)}` : run.status.toLowerCase()}
          </span>
        </div>
      </div>
      <dl className="grid grid-cols-2 gap-3 text-sm sm:grid-cols-4">
        <Stat label="Loss" value={run.loss?.toFixed(4) ?? "–"} testId="training-loss" />
        <Stat label="Accuracy" value={run.accuracy === null ? "–" : `${(run.accuracy * 100).toFixed(1)}%`} />
        <Stat label="Images / s" value={run.imagesPerSecond === null ? "–" : run.imagesPerSecond.toFixed(1)} testId="training-speed" />
        <Stat label="Backend" value={engineOf(run.backend) || "–"} testId="training-backend" />
      </dl>
      {sizingOf(run.backend) && (
        <p className="text-xs text-slate-500" data-testid="training-sizing" title="The trainer sizes the encoder and batch for the hardware it runs on">
          {sizingOf(run.backend)}
        </p>
      )}
      {run.error && <Alert tone={run.status === "FAILED" ? "error" : "warning"}>{run.error}</Alert>}
      {run.skippedImages > 0 && (
        <details className="text-xs text-slate-600">
          <summary className="cursor-pointer">{plural(run.skippedImages, "image")} could not be read and were left out</summary>
          <ul className="mt-1 space-y-0.5 font-mono">
            {run.skipped.slice(0, 50).map((k) => (
              <li key={k.imageId}>
                {k.imageId}: {k.reason}
              </li>
            ))}
          </ul>
        </details>
      )}
      <div className={`grid gap-4 ${hasAccuracy ? "md:grid-cols-2" : ""}`}>
        <div>
          <h4 className="mb-1 text-xs font-medium text-slate-500">Loss</h4>
          <LineChart points={points.map((p) => ({ x: p.x, y: p.loss }))} label="Loss" format={(v) => v.toPrecision(3).replace(/\.?0+$/, "")} testId="loss-chart" />
        </div>
        {hasAccuracy && (
          <div>
            <h4 className="mb-1 text-xs font-medium text-slate-500">Accuracy</h4>
            <LineChart
              points={points.map((p) => ({ x: p.x, y: p.accuracy }))}
              label="Accuracy"
              color="#059669"
              yDomain={{ min: 0, max: 1 }}
              format={(v) => `${Math.round(v * 100)}%`}
              testId="accuracy-chart"
            />
          </div>
        )}
      </div>
    </div>
  );
}

// The trainer reports its backend as "<engine>; <CPU|GPU> sizing: …" (apps/trainer/src/model-sizing.ts).
const sizingPart = /; ((?:CPU|GPU) sizing: .*)$/;
const engineOf = (backend: string) => backend.replace(sizingPart, "");
const sizingOf = (backend: string) => sizingPart.exec(backend)?.[1] ?? null;

function Stat({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="rounded-md bg-slate-50 px-3 py-2">
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd className="truncate font-medium text-slate-900 tabular-nums" title={value} data-testid={testId}>
        {value}
      </dd>
    </div>
  );
}

/** When stage 2 runs again: after so many new labels, or when the labelled set grew by a fraction, whichever first. */
function FineTuneSettings({ projectId, everyLabels, everyFraction }: { projectId: string; everyLabels: number; everyFraction: number }) {
  const trpc = useTRPC();
  const [labels, setLabels] = useState(String(everyLabels));
  const [percent, setPercent] = useState(String(Math.round(everyFraction * 1000) / 10));
  useEffect(() => setLabels(String(everyLabels)), [everyLabels]);
  useEffect(() => setPercent(String(Math.round(everyFraction * 1000) / 10)), [everyFraction]);
  const save = useMutation(trpc.training.updateSettings.mutationOptions());
  const n = Number(labels);
  const f = Number(percent);
  const valid = Number.isInteger(n) && n >= 1 && n <= 1_000_000 && Number.isFinite(f) && f >= 0 && f <= 1000;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (valid) save.mutate({ projectId, fineTuneEveryLabels: n, fineTuneEveryFraction: f / 100 });
  };
  return (
    <Card title="When to fine-tune again" description="Stage 2 runs again after this many new labels, or when the labelled set has grown by this share, whichever comes first.">
      <form onSubmit={submit} className="flex flex-wrap items-end gap-3 text-sm">
        <label className="space-y-1">
          <span className="block text-xs font-medium text-slate-500">New labels</span>
          <input type="number" min={1} step={1} value={labels} onChange={(e) => setLabels(e.target.value)} className={inputClass(!valid, "w-28")} data-testid="finetune-every-labels" />
        </label>
        <label className="space-y-1">
          <span className="block text-xs font-medium text-slate-500">or growth, %</span>
          <input type="number" min={0} step="any" value={percent} onChange={(e) => setPercent(e.target.value)} className={inputClass(!valid, "w-28")} data-testid="finetune-every-percent" />
        </label>
        <Button type="submit" loading={save.isPending} disabled={!valid} data-testid="save-training-settings">
          Save
        </Button>
        {save.isSuccess && (
          <span className="text-xs text-emerald-700" data-testid="training-settings-saved">
            Saved.
          </span>
        )}
        {save.isError && <span className="text-xs text-rose-600">{errorMessage(save.error)}</span>}
      </form>
    </Card>
  );
}
