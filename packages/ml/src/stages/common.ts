// Pieces shared by the training stages: where images come from, what a classifier is, the step loop with
// progress reporting, cancellation and checkpoint hooks.
import { tf, type tfl } from "../tf.js";
import { mulberry32, type SeededRandom } from "../util/random.js";
import { augment, augmentCrops, type AugmentConfig, drawCropBoxes } from "../augment/augment.js";
import type { DataParallelOptions, DataParallelTrainer } from "../parallel/dataParallel.js";
import type { Pixels } from "../preprocess/preprocess.js";
import type { PixelSourceOptions } from "../preprocess/pixelSource.js";

/** Progress of a stage, for the UI. `imagesPerSecond` counts every image the network saw (both views). */
export interface Progress {
  stage: "pretrain" | "finetune" | "distil" | "pseudolabel";
  step: number;
  totalSteps: number;
  loss: number;
  imagesPerSecond: number;
  learningRate?: number;
}
export type ProgressCallback = (p: Progress) => void | Promise<void>;

/** How every training stage is run: seeding, resuming, progress, cancellation and checkpoints. */
export interface StageRunOptions {
  seed?: number;
  /** To resume: the step to start from and the optimizer restored from a checkpoint. */
  startStep?: number;
  optimizerInstance?: tf.Optimizer & { learningRate: number };
  onProgress?: ProgressCallback;
  progressEvery?: number;
  signal?: AbortSignal;
  checkpointEvery?: number;
  onCheckpoint?: (nextStep: number, optimizer: tf.Optimizer) => Promise<void>;
}

export interface StageResult {
  losses: number[];
  optimizer: tf.Optimizer & { learningRate: number };
}

/** A set of images addressable by index; `get` returns NHWC float32 in [0, 1]. */
export interface ImageSource {
  readonly count: number;
  /** The images as the model is given them outside training (its input size, the centred view). */
  get(indices: ArrayLike<number>): tf.Tensor4D;
  /**
   * Where a source keeps images larger than, or shaped unlike, the input: each image's width / height, and training
   * crops taken on its own pixels (boxes as drawCropBoxes makes them). Without these, crops are cut from `get`.
   */
  readonly crops?: {
    aspects(indices: ArrayLike<number>): ArrayLike<number>;
    take(indices: ArrayLike<number>, boxes: Float32Array): tf.Tensor4D;
  };
  /**
   * A source of 8-bit images (pixelImageSource): the images themselves and how they become the model's input, so that
   * another thread can make batches of them (../parallel/batchPrefetcher.ts).
   */
  readonly pixels?: {
    take(indices: ArrayLike<number>): Pixels[];
    options: PixelSourceOptions;
  };
}

/** An in-memory image source over a [N, H, W, C] tensor (kept, not copied). */
export function tensorImageSource(images: tf.Tensor4D): ImageSource {
  return {
    count: images.shape[0],
    get: (indices) => tf.tidy(() => tf.gather(images, tf.tensor1d(Array.from(indices), "int32")) as tf.Tensor4D),
  };
}

/** Something that maps images to class logits and can be trained. */
export interface Classifier {
  logits(x: tf.Tensor4D, training: boolean): tf.Tensor2D;
  readonly trainableVariables: tf.Variable[];
  /**
   * The models it is made of, where a trainer may replicate them (data-parallel training): encoder -> head, or one
   * model alone (no head).
   */
  readonly models?: { encoder: tfl.LayersModel; head?: tfl.LayersModel };
}

export function variablesOf(...models: tfl.LayersModel[]): tf.Variable[] {
  return models.flatMap((m) => m.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val));
}

/** The SimCLR v2 teacher: encoder -> classifier head (which starts from the projection head's first layer). */
export function encoderClassifier(encoder: tfl.LayersModel, head: tfl.LayersModel, options: { freezeEncoder?: boolean } = {}): Classifier {
  return {
    logits: (x, training) => head.apply(encoder.apply(x, { training: training && !options.freezeEncoder }) as tf.Tensor, { training }) as tf.Tensor2D,
    trainableVariables: options.freezeEncoder ? variablesOf(head) : variablesOf(encoder, head),
    models: options.freezeEncoder ? undefined : { encoder, head },
  };
}

export function modelClassifier(model: tfl.LayersModel): Classifier {
  return { logits: (x, training) => model.apply(x, { training }) as tf.Tensor2D, trainableVariables: variablesOf(model), models: { encoder: model } };
}

/** Per-step generator: step k's batch and augmentation depend only on (seed, k), so a resumed run repeats them. */
export function stepRandom(seed: number, step: number): SeededRandom {
  return mulberry32((Math.imul(seed, 0x9e3779b1) ^ Math.imul(step + 1, 0x85ebca6b)) >>> 0);
}

/** A batch of distinct indices from `pool` (or 0..count-1), drawn with the given generator. */
export function sampleBatch(count: number, batchSize: number, r: () => number, pool?: ArrayLike<number>): Int32Array {
  const n = pool ? pool.length : count;
  const out = new Int32Array(Math.min(batchSize, n));
  const chosen = new Set<number>();
  for (let i = 0; i < out.length; i++) {
    let j = Math.floor(r() * n);
    while (chosen.has(j)) j = (j + 1) % n;
    chosen.add(j);
    out[i] = pool ? pool[j]! : j;
  }
  return out;
}

/** Mean softmax cross-entropy of logits against integer labels or target distributions. */
export function softmaxCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D | tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const probs = targets.rank === 1 ? tf.oneHot(tf.cast(targets, "int32"), logits.shape[1]) : targets;
    const logp = tf.sub(logits, tf.logSumExp(logits, 1, true));
    return tf.neg(tf.mean(tf.sum(tf.mul(probs, logp), 1))) as tf.Scalar;
  });
}

/**
 * The images of `batch`, augmented with `cfg` (null: as stored), one view per image or two (SimCLR's pairs:
 * [view 1 of every image; view 2 of every image]). The generator is drawn in that order, so a batch is the same
 * whether the stage trains on this thread or on replicas.
 */
export function augmentedBatch(images: ImageSource, batch: ArrayLike<number>, cfg: AugmentConfig | null, r: () => number, views: 1 | 2 = 1): tf.Tensor4D {
  return tf.tidy(() => {
    if (!cfg) return images.get(batch);
    const crops = images.crops;
    let view: () => tf.Tensor4D;
    if (crops) {
      const aspects = crops.aspects(batch);
      view = () => augmentCrops(crops.take(batch, drawCropBoxes(batch.length, cfg, r, aspects)), cfg, r);
    } else {
      const x = images.get(batch);
      view = () => augment(x, cfg, r);
    }
    return views === 1 ? view() : (tf.concat([view(), view()], 0) as tf.Tensor4D);
  });
}

/**
 * Where a stage's augmented batches come from: made on this thread when asked, or ahead of time on a worker thread
 * (`prefetch`, Node: ../parallel/batchPrefetcher.ts; only for sources of 8-bit images, others stay here). Either way
 * step k's batch is the same: its images and augmentations come from `plan(k)`'s generator.
 */
export interface StageBatches {
  /** Step k's batch as plain data (what replicas take). */
  data(k: number): Promise<{ data: Float32Array; shape: [number, number, number, number] }>;
  /** Step k's batch as a tensor on this thread. */
  tensor(k: number): Promise<tf.Tensor4D>;
  dispose(): Promise<void>;
}

export async function stageBatches(o: {
  images: ImageSource;
  cfg: AugmentConfig | null;
  views: 1 | 2;
  plan: (step: number) => { batch: ArrayLike<number>; r: SeededRandom };
  totalSteps: number;
  /** Make batches ahead on worker threads: true for one, or how many. */
  prefetch?: boolean | number;
}): Promise<StageBatches> {
  // A dynamic import, as for the replicas: browser bundles of the stages must not pull worker threads in.
  const workers = o.prefetch === true ? 1 : o.prefetch || 0;
  const ahead = workers > 0 && o.images.pixels ? await (await import("../parallel/batchPrefetcher.js")).BatchPrefetcher.create({ ...o, workers }) : null;
  if (ahead) {
    return {
      data: (k) => ahead.get(k),
      tensor: async (k) => {
        const { data, shape } = await ahead.get(k);
        return tf.tensor4d(data, shape);
      },
      dispose: () => ahead.dispose(),
    };
  }
  return {
    data: async (k) => {
      const { batch, r } = o.plan(k);
      return augmentedBatchData(o.images, batch, o.cfg, r, o.views);
    },
    // No read-back: a GPU backend keeps the batch where it trains (and webgpu cannot read synchronously in Node).
    tensor: async (k) => {
      const { batch, r } = o.plan(k);
      return augmentedBatch(o.images, batch, o.cfg, r, o.views);
    },
    dispose: async () => {},
  };
}

/** `augmentedBatch` read out to plain memory, as worker replicas take it. */
export function augmentedBatchData(...args: Parameters<typeof augmentedBatch>): { data: Float32Array; shape: [number, number, number, number] } {
  const x = augmentedBatch(...args);
  const data = x.dataSync() as Float32Array;
  const shape = x.shape;
  x.dispose();
  return { data, shape };
}

/**
 * Thrown when a stage's signal stops it between steps. The stage's models (and, through `runStage`, the optimizer)
 * then hold exactly the state after `nextStep` steps, so a caller may checkpoint them to resume at `nextStep`.
 */
export class StageAborted extends Error {
  constructor(
    readonly stage: Progress["stage"],
    readonly nextStep: number,
  ) {
    super(`${stage} aborted at step ${nextStep}`);
    this.name = "StageAborted";
  }
}

/** What a stage tells `runStage` about its loop. */
export interface StageLoop {
  stage: Progress["stage"];
  totalSteps: number;
  imagesPerStep: number;
  learningRate: (step: number) => number;
  optimizer: tf.Optimizer & { learningRate: number };
}

/**
 * Runs a stage's steps with its run options (resume, progress, cancellation, checkpoints), on this thread or, when
 * `replicas` says how to build them, on worker replicas (../parallel/dataParallel.ts, Node + wasm). Written once
 * because every data-parallel stage must do the same around its steps: seed the replicas with a resumed optimizer's
 * state, bring their weights and optimizer state back to this thread before each checkpoint and at the end, and stop
 * the workers however the stage ends. `step(k, dp)` gets the replicas, or undefined on one thread.
 */
export async function runStage(o: StageRunOptions, loop: StageLoop, replicas: DataParallelOptions | null, step: (k: number, dp: DataParallelTrainer | undefined) => StepLoss): Promise<StageResult> {
  const { optimizer } = loop;
  // A dynamic import: worker threads are Node only, and browser bundles of the stages must not pull them in.
  const dp = replicas ? await (await import("../parallel/dataParallel.js")).DataParallelTrainer.create(replicas) : undefined;
  const sync = async () => {
    if (!dp) return;
    await dp.syncTo();
    await dp.syncOptimizerTo(optimizer);
  };
  try {
    if (dp && o.optimizerInstance) await dp.loadOptimizerFrom(optimizer);
    const losses = await runSteps(
      {
        stage: loop.stage,
        totalSteps: loop.totalSteps,
        startStep: o.startStep,
        imagesPerStep: loop.imagesPerStep,
        onProgress: o.onProgress,
        progressEvery: o.progressEvery,
        signal: o.signal,
        checkpointEvery: o.checkpointEvery,
        onCheckpoint:
          o.onCheckpoint &&
          (async (next) => {
            await sync();
            await o.onCheckpoint!(next, optimizer);
          }),
        learningRate: loop.learningRate,
      },
      (k) => step(k, dp),
    );
    await sync();
    return { losses, optimizer };
  } catch (err) {
    // Stopped on purpose (pause, shutdown): the caller checkpoints the main thread's models and optimizer next, so
    // they must hold the replicas' state at the step the loop stopped at, not the last periodic sync's. If the
    // replicas cannot hand it back, the error says so (no longer a StageAborted), so nobody checkpoints stale weights.
    if (err instanceof StageAborted) await sync();
    throw err;
  } finally {
    await dp?.dispose();
  }
}

/** What a training step returns: its loss, as a scalar tensor (read by the loop) or a number, or a promise of either. */
export type StepLoss = tf.Scalar | number | Promise<tf.Scalar | number>;

export interface LoopOptions {
  stage: Progress["stage"];
  totalSteps: number;
  /** First step to run (a resumed run starts after its checkpoint). */
  startStep?: number;
  imagesPerStep: number;
  onProgress?: ProgressCallback;
  /** Report progress every n steps (default 1). */
  progressEvery?: number;
  signal?: AbortSignal;
  checkpointEvery?: number;
  onCheckpoint?: (nextStep: number) => Promise<void>;
  learningRate?: (step: number) => number;
}

/**
 * Runs `step(k)` for k in [startStep, totalSteps); the step returns its loss (or a promise of it, for a step that
 * awaits something first) as a scalar tensor, read here asynchronously (the webgpu backend cannot read synchronously
 * in Node), or as a number. Yields to the event loop between steps.
 */
export async function runSteps(o: LoopOptions, step: (k: number) => StepLoss): Promise<number[]> {
  const losses: number[] = [];
  let windowStart = performance.now();
  let windowImages = 0;
  for (let k = o.startStep ?? 0; k < o.totalSteps; k++) {
    if (o.signal?.aborted) throw new StageAborted(o.stage, k);
    const out = await step(k);
    let loss: number;
    if (out instanceof tf.Tensor) {
      loss = (await out.data())[0]!;
      out.dispose();
    } else loss = out;
    losses.push(loss);
    windowImages += o.imagesPerStep;
    const every = o.progressEvery ?? 1;
    if (o.onProgress && ((k + 1) % every === 0 || k + 1 === o.totalSteps)) {
      const now = performance.now();
      await o.onProgress({
        stage: o.stage,
        step: k + 1,
        totalSteps: o.totalSteps,
        loss,
        imagesPerSecond: (windowImages * 1000) / Math.max(1e-3, now - windowStart),
        learningRate: o.learningRate?.(k),
      });
      windowStart = performance.now();
      windowImages = 0;
    }
    if (o.onCheckpoint && o.checkpointEvery && (k + 1) % o.checkpointEvery === 0 && k + 1 < o.totalSteps) await o.onCheckpoint(k + 1);
    await yieldToEventLoop();
  }
  return losses;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => (typeof setImmediate === "function" ? setImmediate(resolve) : setTimeout(resolve, 0)));
