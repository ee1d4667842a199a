// Everything that decides an experiment's numbers, in one serialisable object: written to config.json so that a
// rerun with the same config (and backend) reproduces the run.
import type { OptimizerName } from "@fewlabel/ml";

export interface StageSettings {
  steps: number;
  batchSize: number;
  learningRate: number;
  optimizer: OptimizerName;
}

export interface ExperimentConfig {
  /** "fashion-mnist", or "project:<id>" for a project's own images. */
  dataset: string;
  /** Budget name the settings came from ("quick", "full", "tiny", or "custom"). */
  budget: string;
  /** Master seed: the label subsets, weight initialisations, batches and augmentations all derive from it. */
  seed: number;
  /** Label fractions for the supervised and SimCLR arms below 100% (the supervised arm at 100% always runs). */
  labelFractions: number[];
  /** Training images used (the first N of the training split; the SimCLR stages use all of them). */
  trainImages: number;
  /** Test images scored (the first N of the test split). */
  testImages: number;
  inputSize: number;
  channels: 1 | 3;
  /** ResNet encoder shared by every arm (SimCLR's backbone, and the supervised baselines). */
  encoder: { widths: number[]; blocks: number[] };
  /** Output size of the projection head (its hidden layers are as wide as the encoder's features). */
  projectionDim: number;
  /** The distilled student's CNN widths. */
  student: { widths: number[] };
  /**
   * `workers` (here and in `supervised`, `fineTune`, `distil`): worker threads for the stage on the wasm backend
   * (data-parallel, e.g. 2 for both cores); batch norm then runs per shard, so the count is part of what decides
   * the numbers. Default 1. The linear probe stays on one thread.
   */
  pretrain: StageSettings & { temperature: number; workers?: number };
  supervised: StageSettings & { workers?: number };
  fineTune: StageSettings & { workers?: number };
  distil: StageSettings & { temperature: number; groundTruthWeight: number; workers?: number };
  /** Linear evaluation: a linear classifier on frozen pretrained features of up to `featureImages` labelled images. */
  linearEval: StageSettings & { featureImages: number };
  evalBatchSize: number;
}

/** Seeds of every random choice, derived from the master seed (recorded with the results). */
export function derivedSeeds(seed: number) {
  const s = (k: number) => ((Math.imul(seed + 1, 2654435761) >>> 0) % 1_000_000) * 16 + k;
  return {
    labelSubset: seed,
    holdOut: seed,
    encoderInit: s(1),
    headInit: s(2),
    classifierInit: s(3),
    studentInit: s(4),
    pretrain: s(5),
    supervised: s(6),
    fineTune: s(7),
    distil: s(8),
    linearEval: s(9),
    baselines: s(10),
  };
}
export type DerivedSeeds = ReturnType<typeof derivedSeeds>;

export function validateConfig(c: ExperimentConfig): void {
  for (const f of c.labelFractions) if (!(f > 0 && f < 1)) throw new Error(`label fraction ${f}: expected a number between 0 and 1 (exclusive)`);
  if (c.labelFractions.length === 0) throw new Error("at least one label fraction below 100% is needed");
  if (!Number.isInteger(c.seed)) throw new Error(`seed ${c.seed}: expected an integer`);
  for (const [name, s] of Object.entries({ pretrain: c.pretrain, supervised: c.supervised, fineTune: c.fineTune, distil: c.distil, linearEval: c.linearEval })) {
    if (!(Number.isInteger(s.steps) && s.steps > 0 && Number.isInteger(s.batchSize) && s.batchSize > 0)) throw new Error(`${name}: steps and batch size must be positive integers`);
  }
  for (const [name, s] of Object.entries({ pretrain: c.pretrain, supervised: c.supervised, fineTune: c.fineTune, distil: c.distil })) {
    const w = s.workers ?? 1;
    if (!(Number.isInteger(w) && w >= 1 && w <= 64)) throw new Error(`${name}.workers ${w}: expected an integer from 1 to 64`);
  }
}
