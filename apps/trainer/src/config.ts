// The trainer's settings, from the environment. Defaults suit a CPU (the wasm backend trains the default encoder at
// roughly 25-50 images/s on one core, see packages/ml/README.md); a GPU machine can raise sizes and steps. Tests use
// a tiny encoder and a few steps so the whole loop runs in seconds.
import os from "node:os";
import path from "node:path";
import { validateEncoderConfig } from "@fewlabel/ml";
import { CPU_INPUT_SIZE } from "./input-size";
import { SELF_TRAINING_MIN_LABELS_PER_CLASS } from "./self-training-rule";

export interface TrainerConfig {
  /** Base URL of the fewlabel web server. */
  url: string;
  token: string;
  /** Shown to people as the lease holder ("gpu-box-1 (pid 123)"). */
  name: string;
  /**
   * Square model input in pixels (FEWLABEL_INPUT_SIZE); null: chosen per project at its first pretraining from the
   * images and the backend (input-size.ts).
   */
  inputSize: number | null;
  /** Encoder stage widths and blocks per stage (ResNet basic blocks). */
  encoderWidths: number[];
  encoderBlocks: number[];
  /** Projection head width and output dimension. */
  projectionDim: number;
  /** The small browser CNN's widths, or null (default): the student is the teacher's own network (self-distillation). */
  studentWidths: number[] | null;
  batchSize: number;
  /** Adam's base learning rate (warm-up + cosine decay within each stage). */
  learningRate: number;
  /**
   * Stage budgets in epochs of the images a stage learns from (every image for pretraining and distillation, the
   * training labels for fine-tuning); see budget.ts. An explicit step count (the *Steps fields) overrides them.
   * Pretraining: the first run, each extension (after uploads grew, or while idle), and the total an idle project
   * is pretrained to. Extensions are 20 epochs: the encoder's epochs are what lift the teacher (Fashion-MNIST, 300
   * labels, packages/ml/bench/semi.ts: 77.2% after 15 epochs, 80.3% after 60, the same whether in one schedule or
   * four restarted ones), while every extension is followed by a fine-tune and a distillation that cost minutes
   * whatever its length; longer extensions spend more of an idle hour on the encoder.
   */
  pretrainEpochs: number;
  pretrainExtendEpochs: number;
  maxPretrainEpochs: number;
  finetuneEpochs: number;
  distilEpochs: number;
  /** The project's first student: a shorter self-training, so that a browser model comes early (budget.ts). */
  firstDistilEpochs: number;
  /**
   * Stage 3 self-trains (distil's `selfTraining`: FixMatch's loss on pseudo-labels this confident, relabelled by the
   * student every epoch) instead of distilling the teacher's soft labels on every image; 0 turns it off.
   */
  selfTrainingThreshold: number;
  /** ...and only from this many training labels a class on average (self-training-rule.ts); fewer: soft labels. */
  selfTrainingMinLabelsPerClass: number;
  pretrainSteps: number | null;
  pretrainExtendSteps: number | null;
  /** Pretrain again when the project has this fraction more images than at the last pretraining. */
  pretrainGrowth: number;
  finetuneSteps: number | null;
  distilSteps: number | null;
  /** No stage runs before the project has this many images; no fine-tune before this many labels. */
  minImages: number;
  minLabels: number;
  /** Human labels held out for metrics: every 5th by a hash of the image id, once at least this many exist. */
  minLabelsForHoldout: number;
  /**
   * Fewer held-out labels than this and a version reports no accuracy (rather than "0%" on one label): the interval
   * of an accuracy on 10 labels is some 50 points wide.
   */
  minHeldOut: number;
  /** Training waits until an upload in progress has finished and no image arrived for this long. */
  uploadSettleSeconds: number;
  checkpointEvery: number;
  /** Quick suggestions (a head on the encoder's embeddings) are refreshed at most this often after labels change; 0: off. */
  quickRefreshSeconds: number;
  /** Projects up to this many images get near-duplicate groups (the candidate search grows with the square). */
  duplicatesMaxImages: number;
  /** Progress reports are sent at most this often. */
  progressIntervalMs: number;
  /** How long to wait between looks at an idle project. */
  pollIntervalMs: number;
  /** Parallel image downloads. */
  downloadConcurrency: number;
  /**
   * A project's pretraining runs at least this long before it gives way to another project whose work is due (an
   * idle project's further pretraining gives way at once); main.ts.
   */
  turnSeconds: number;
  /**
   * Where downloaded training copies are kept across restarts (DiskImageCache), and its bound in bytes; null: not
   * kept (every start downloads every image).
   */
  imageCache: { dir: string; maxBytes: number } | null;
  /**
   * Decoded working copies: bytes all projects may hold in memory together (FEWLABEL_TRAINER_MEMORY_MB), the rest in a
   * file per project in `dir` (FEWLABEL_TRAINER_WORK_DIR), read back per batch.
   */
  workingCopies: { memoryBytes: number; dir: string };
  /** The project lease lapses this long after the trainer's last renewal (e.g. after kill -9). */
  leaseSeconds: number;
  seed: number;
  /**
   * Worker threads for contrastive pretraining and distillation on the wasm backend (data-parallel; wasm is one thread per
   * process). Every core by default; the trainer lowers its own priority, so the web server beside it gets a core back
   * whenever it needs one.
   */
  workers: number;
  /**
   * Worker threads making training batches ahead of the step (null: chosen, see ProjectTrainer.batchWorkers):
   * FEWLABEL_BATCH_WORKERS, 0 for none (batches made on the main thread between steps).
   */
  batchWorkers: number | null;
}

const num = (env: NodeJS.ProcessEnv, key: string, fallback: number): number => {
  const raw = env[key];
  if (raw === undefined || raw === "") return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${key} must be a non-negative number, got ${JSON.stringify(raw)}`);
  return v;
};
const list = (env: NodeJS.ProcessEnv, key: string, fallback: number[]): number[] => {
  const raw = env[key];
  if (!raw) return fallback;
  const v = raw.split(",").map((s) => Number(s.trim()));
  if (v.some((x) => !Number.isInteger(x) || x <= 0)) throw new Error(`${key} must be a comma-separated list of positive integers, got ${JSON.stringify(raw)}`);
  return v;
};

export function readConfig(env: NodeJS.ProcessEnv = process.env): TrainerConfig {
  const url = env.FEWLABEL_URL;
  const token = env.FEWLABEL_TRAINER_TOKEN;
  if (!url || !token) throw new Error("Set FEWLABEL_URL (the fewlabel server) and FEWLABEL_TRAINER_TOKEN (a trainer token from the project's training settings).");
  const steps = (key: string) => (env[key] ? num(env, key, 0) : null);
  const cacheMb = num(env, "FEWLABEL_TRAINER_CACHE_MB", 2048);
  return checked({
    url,
    token,
    name: env.FEWLABEL_TRAINER_NAME || `trainer on ${process.env.HOSTNAME ?? "localhost"} (pid ${process.pid})`,
    inputSize: env.FEWLABEL_INPUT_SIZE ? num(env, "FEWLABEL_INPUT_SIZE", 0) : null,
    encoderWidths: list(env, "FEWLABEL_ENCODER_WIDTHS", [16, 32, 64, 128]),
    encoderBlocks: list(env, "FEWLABEL_ENCODER_BLOCKS", [1, 1, 1, 1]),
    projectionDim: num(env, "FEWLABEL_PROJECTION_DIM", 64),
    studentWidths: env.FEWLABEL_STUDENT_WIDTHS ? list(env, "FEWLABEL_STUDENT_WIDTHS", []) : null,
    batchSize: num(env, "FEWLABEL_BATCH_SIZE", 64),
    learningRate: num(env, "FEWLABEL_LEARNING_RATE", 1e-3),
    pretrainEpochs: num(env, "FEWLABEL_PRETRAIN_EPOCHS", 15),
    pretrainExtendEpochs: num(env, "FEWLABEL_PRETRAIN_EXTEND_EPOCHS", 20),
    maxPretrainEpochs: num(env, "FEWLABEL_MAX_PRETRAIN_EPOCHS", 150),
    finetuneEpochs: num(env, "FEWLABEL_FINETUNE_EPOCHS", 50),
    distilEpochs: num(env, "FEWLABEL_DISTIL_EPOCHS", 10),
    firstDistilEpochs: num(env, "FEWLABEL_FIRST_DISTIL_EPOCHS", 5),
    selfTrainingThreshold: num(env, "FEWLABEL_SELF_TRAINING_THRESHOLD", 0.95),
    selfTrainingMinLabelsPerClass: num(env, "FEWLABEL_SELF_TRAINING_MIN_LABELS_PER_CLASS", SELF_TRAINING_MIN_LABELS_PER_CLASS),
    pretrainSteps: steps("FEWLABEL_PRETRAIN_STEPS"),
    pretrainExtendSteps: steps("FEWLABEL_PRETRAIN_EXTEND_STEPS"),
    pretrainGrowth: num(env, "FEWLABEL_PRETRAIN_GROWTH", 0.25),
    finetuneSteps: steps("FEWLABEL_FINETUNE_STEPS"),
    distilSteps: steps("FEWLABEL_DISTIL_STEPS"),
    minImages: num(env, "FEWLABEL_MIN_IMAGES", 32),
    minLabels: num(env, "FEWLABEL_MIN_LABELS", 10),
    minLabelsForHoldout: num(env, "FEWLABEL_MIN_LABELS_FOR_HOLDOUT", 10),
    minHeldOut: num(env, "FEWLABEL_MIN_HELD_OUT", 20),
    uploadSettleSeconds: num(env, "FEWLABEL_UPLOAD_SETTLE_SECONDS", 10),
    checkpointEvery: num(env, "FEWLABEL_CHECKPOINT_EVERY", 50),
    quickRefreshSeconds: num(env, "FEWLABEL_QUICK_REFRESH_SECONDS", 3),
    duplicatesMaxImages: num(env, "FEWLABEL_DUPLICATES_MAX_IMAGES", 20_000),
    progressIntervalMs: num(env, "FEWLABEL_PROGRESS_INTERVAL_MS", 2000),
    pollIntervalMs: num(env, "FEWLABEL_POLL_INTERVAL_MS", 5000),
    downloadConcurrency: num(env, "FEWLABEL_DOWNLOAD_CONCURRENCY", 8),
    turnSeconds: num(env, "FEWLABEL_TURN_SECONDS", 120),
    imageCache:
      cacheMb > 0 ? { dir: env.FEWLABEL_TRAINER_CACHE_DIR || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "fewlabel", "trainer-images"), maxBytes: cacheMb * 1024 * 1024 } : null,
    workingCopies: {
      // 256 MB: 33,000 working copies for a 32 px model, 3,700 for a 96 px one; past that, copies are read from the
      // spill file, which the operating system keeps in its page cache while memory is free (bench:scale: with 1 GB
      // here, all of 100,000 32 px copies stayed in the process and its peak grew 1.85x over 10,000 images).
      memoryBytes: Math.floor(num(env, "FEWLABEL_TRAINER_MEMORY_MB", 256) * 1024 * 1024),
      dir: env.FEWLABEL_TRAINER_WORK_DIR || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "fewlabel", "trainer-working"),
    },
    leaseSeconds: num(env, "FEWLABEL_LEASE_SECONDS", 30),
    seed: num(env, "FEWLABEL_TRAINER_SEED", 1),
    // Every core by default: the trainer runs at a lower priority than the web server (main.ts), so labelling
    // requests take a core back from it at once, and an idle machine trains at full speed.
    workers: num(env, "FEWLABEL_TRAINER_WORKERS", Math.max(1, Math.min(8, os.availableParallelism()))),
    batchWorkers: env.FEWLABEL_BATCH_WORKERS ? num(env, "FEWLABEL_BATCH_WORKERS", 0) : null,
  });
}

/**
 * Settings that no model could be built from are refused at start, before any image is downloaded (an input size
 * the encoder does not take used to fail only once every image of a project had been fetched and decoded).
 */
function checked(c: TrainerConfig): TrainerConfig {
  const integer = (key: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new Error(`${key} must be a whole number of at least ${min}, got ${v}`);
  };
  if (c.inputSize !== null) integer("FEWLABEL_INPUT_SIZE", c.inputSize, 1);
  integer("FEWLABEL_BATCH_SIZE", c.batchSize, 2);
  integer("FEWLABEL_PROJECTION_DIM", c.projectionDim, 1);
  integer("FEWLABEL_DOWNLOAD_CONCURRENCY", c.downloadConcurrency, 1);
  if (!(c.learningRate > 0)) throw new Error(`FEWLABEL_LEARNING_RATE must be above 0, got ${c.learningRate}`);
  if (c.selfTrainingThreshold > 1) throw new Error(`FEWLABEL_SELF_TRAINING_THRESHOLD is a probability (0 turns self-training off), got ${c.selfTrainingThreshold}`);
  try {
    validateEncoderConfig({ inputSize: c.inputSize ?? CPU_INPUT_SIZE, channels: 1, widths: c.encoderWidths, blocks: c.encoderBlocks });
  } catch (err) {
    throw new Error(`FEWLABEL_INPUT_SIZE / FEWLABEL_ENCODER_WIDTHS / FEWLABEL_ENCODER_BLOCKS: ${(err as Error).message}`);
  }
  return c;
}
