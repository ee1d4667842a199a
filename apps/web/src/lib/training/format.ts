// How training progress reads to people: stage names, durations ("3 min 20 s"), the share of a run done.
import type { TrainingStage } from "@fewlabel/realtime";

export const stageNames: Record<TrainingStage, string> = {
  pretrain: "Stage 1 · contrastive pretraining",
  finetune: "Stage 2 · fine-tuning",
  pseudolabel: "Stage 3 · pseudo-labelling",
  distil: "Stage 3 · distilling the student",
};

export const modelStageNames = { PRETRAIN: "Pretrained encoder", FINETUNE: "Fine-tuned teacher", DISTIL: "Distilled student" } as const;

/** "45 s", "3 min 20 s", "2 h 5 min"; null or negative is unknown. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return "–";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}

/** Percent of the run's steps done (0-100), counting steps a resumed run inherited from its checkpoint. */
export function runPercent(run: { step: number; totalSteps: number }): number {
  if (run.totalSteps <= 0) return 0;
  return Math.max(0, Math.min(100, (run.step / run.totalSteps) * 100));
}

/**
 * Seconds left, counted down locally between progress reports: the server's estimate at `reportedAt`, less the time
 * since (never below zero). Null when the run has no estimate.
 */
export function etaNow(etaSeconds: number | null, reportedAt: number, now: number): number | null {
  if (etaSeconds === null) return null;
  return Math.max(0, etaSeconds - (now - reportedAt) / 1000);
}
