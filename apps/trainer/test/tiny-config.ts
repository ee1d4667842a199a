// A trainer configuration small enough for tests to run the whole loop in seconds on 2 cores: a two-stage encoder of
// width 8/16 at 28 px, a handful of steps per stage, frequent checkpoints and progress reports.
import os from "node:os";
import path from "node:path";
import type { TrainerConfig } from "../src/config";

export function tinyConfig(url: string, token: string, overrides: Partial<TrainerConfig> = {}): TrainerConfig {
  return {
    url,
    token,
    name: "test trainer",
    inputSize: 28,
    encoderWidths: [8, 16],
    encoderBlocks: [1, 1],
    projectionDim: 16,
    studentWidths: null, // the default: the teacher's network distils itself
    batchSize: 32,
    learningRate: 3e-3,
    // Steps, not epochs: tests fix the work per stage. One pretraining run only: no idle extensions unless a test asks.
    pretrainEpochs: 1,
    pretrainExtendEpochs: 1,
    maxPretrainEpochs: 1,
    finetuneEpochs: 1,
    distilEpochs: 1,
    firstDistilEpochs: 1,
    selfTrainingThreshold: 0.95, // the default
    selfTrainingMinLabelsPerClass: 1, // the tests' few labels a class still self-train (the default is 10)
    pretrainSteps: 20,
    pretrainExtendSteps: 5,
    pretrainGrowth: 0.25,
    finetuneSteps: 40,
    distilSteps: 40,
    minImages: 32,
    turnSeconds: 120, // the default
    imageCache: null, // tests download every image (a test of the disk cache asks for one)
    // Batches made ahead on a worker thread, as a GPU trainer or one at 64 px and more makes them: every loop test
    // runs that path (the product's default at 28 px makes them between steps).
    batchWorkers: 1,
    // 16 KB of decoded images in memory (twenty 28 px ones), the rest read back from the spill file: every loop test
    // runs the path a project larger than the trainer's memory takes.
    workingCopies: { memoryBytes: 16 * 1024, dir: path.join(os.tmpdir(), "fewlabel-test-working") },
    minLabels: 10,
    minLabelsForHoldout: 10,
    minHeldOut: 2,
    uploadSettleSeconds: 1,
    checkpointEvery: 10,
    quickRefreshSeconds: 1,
    duplicatesMaxImages: 20_000,
    progressIntervalMs: 100,
    pollIntervalMs: 200,
    downloadConcurrency: 8,
    leaseSeconds: 30,
    seed: 1,
    workers: 1,
    ...overrides,
  };
}

const steps = (key: string, v: number | null): Record<string, string> => (v === null ? {} : { [key]: String(v) });

/** The same configuration as environment variables, for a trainer child process. */
export function tinyEnv(c: TrainerConfig): Record<string, string> {
  return {
    FEWLABEL_URL: c.url,
    FEWLABEL_TRAINER_TOKEN: c.token,
    FEWLABEL_TRAINER_NAME: c.name,
    FEWLABEL_INPUT_SIZE: String(c.inputSize),
    FEWLABEL_ENCODER_WIDTHS: c.encoderWidths.join(","),
    FEWLABEL_ENCODER_BLOCKS: c.encoderBlocks.join(","),
    FEWLABEL_PROJECTION_DIM: String(c.projectionDim),
    ...(c.studentWidths ? { FEWLABEL_STUDENT_WIDTHS: c.studentWidths.join(",") } : {}),
    FEWLABEL_BATCH_SIZE: String(c.batchSize),
    FEWLABEL_LEARNING_RATE: String(c.learningRate),
    FEWLABEL_PRETRAIN_EPOCHS: String(c.pretrainEpochs),
    FEWLABEL_PRETRAIN_EXTEND_EPOCHS: String(c.pretrainExtendEpochs),
    FEWLABEL_MAX_PRETRAIN_EPOCHS: String(c.maxPretrainEpochs),
    FEWLABEL_FINETUNE_EPOCHS: String(c.finetuneEpochs),
    FEWLABEL_DISTIL_EPOCHS: String(c.distilEpochs),
    FEWLABEL_SELF_TRAINING_THRESHOLD: String(c.selfTrainingThreshold),
    FEWLABEL_SELF_TRAINING_MIN_LABELS_PER_CLASS: String(c.selfTrainingMinLabelsPerClass),
    ...steps("FEWLABEL_PRETRAIN_STEPS", c.pretrainSteps),
    ...steps("FEWLABEL_PRETRAIN_EXTEND_STEPS", c.pretrainExtendSteps),
    FEWLABEL_PRETRAIN_GROWTH: String(c.pretrainGrowth),
    ...steps("FEWLABEL_FINETUNE_STEPS", c.finetuneSteps),
    ...steps("FEWLABEL_DISTIL_STEPS", c.distilSteps),
    FEWLABEL_MIN_IMAGES: String(c.minImages),
    FEWLABEL_MIN_LABELS: String(c.minLabels),
    FEWLABEL_MIN_LABELS_FOR_HOLDOUT: String(c.minLabelsForHoldout),
    FEWLABEL_MIN_HELD_OUT: String(c.minHeldOut),
    FEWLABEL_UPLOAD_SETTLE_SECONDS: String(c.uploadSettleSeconds),
    FEWLABEL_CHECKPOINT_EVERY: String(c.checkpointEvery),
    FEWLABEL_QUICK_REFRESH_SECONDS: String(c.quickRefreshSeconds),
    FEWLABEL_DUPLICATES_MAX_IMAGES: String(c.duplicatesMaxImages),
    FEWLABEL_PROGRESS_INTERVAL_MS: String(c.progressIntervalMs),
    FEWLABEL_POLL_INTERVAL_MS: String(c.pollIntervalMs),
    FEWLABEL_LEASE_SECONDS: String(c.leaseSeconds),
    FEWLABEL_TRAINER_SEED: String(c.seed),
    FEWLABEL_TRAINER_WORKERS: String(c.workers),
    FEWLABEL_TURN_SECONDS: String(c.turnSeconds),
    FEWLABEL_TRAINER_MEMORY_MB: String(c.workingCopies.memoryBytes / (1024 * 1024)),
    FEWLABEL_TRAINER_WORK_DIR: c.workingCopies.dir,
    ...(c.imageCache ? { FEWLABEL_TRAINER_CACHE_DIR: c.imageCache.dir, FEWLABEL_TRAINER_CACHE_MB: String(c.imageCache.maxBytes / (1024 * 1024)) } : { FEWLABEL_TRAINER_CACHE_MB: "0" }),
  };
}
