// Stage budgets in epochs of the project's images (issue 12: a fixed step count is a different amount of learning for
// 300 images and for 100,000). An explicit step count (FEWLABEL_*_STEPS) still wins, for tests and for people who want
// one; otherwise steps = epochs x items / batch, clamped so that a tiny project still learns something and a huge one
// checkpoints and reports progress in runs of bounded length (pretraining then continues in extensions).
import type { TrainerConfig } from "./config";

export const MIN_STAGE_STEPS = 50;
export const MAX_STAGE_STEPS = 20_000;

/** Steps for `epochs` passes over `items` in batches of `batchSize`, or the explicit `steps` when set. */
export function stageSteps(budget: { epochs: number; steps: number | null }, items: number, batchSize: number): number {
  if (budget.steps !== null) return budget.steps;
  const perEpoch = Math.ceil(Math.max(1, items) / Math.max(1, Math.min(batchSize, items)));
  return Math.min(MAX_STAGE_STEPS, Math.max(MIN_STAGE_STEPS, Math.round(budget.epochs * perEpoch)));
}

/** How many pretraining runs (the first, then extensions) the epoch budget allows an idle project. */
export function maxPretrainRuns(cfg: Pick<TrainerConfig, "pretrainEpochs" | "pretrainExtendEpochs" | "maxPretrainEpochs">): number {
  if (cfg.maxPretrainEpochs <= cfg.pretrainEpochs || cfg.pretrainExtendEpochs <= 0) return 1;
  return 1 + Math.ceil((cfg.maxPretrainEpochs - cfg.pretrainEpochs) / cfg.pretrainExtendEpochs);
}

/**
 * Epochs of stage 3 for a student of this project: the first one gets `firstDistilEpochs` (at most the usual), so that
 * the first browser model comes sooner, and later ones, made while the project is improved upon, the full
 * `distilEpochs`. Measured offline (packages/ml/bench/semi.ts, Fashion-MNIST, 240 labels, the same teacher of 79.8%):
 * 5 epochs took 112 s and gave a student of 80.5% with its teacher's pixel expert, 10 epochs 231 s and 81.4%.
 */
export function distilEpochs(cfg: Pick<TrainerConfig, "distilEpochs" | "firstDistilEpochs">, hasStudent: boolean): number {
  return hasStudent ? cfg.distilEpochs : Math.min(cfg.firstDistilEpochs, cfg.distilEpochs);
}
