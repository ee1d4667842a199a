// The step loop every training stage runs in: progress reports, cancellation, resuming, checkpoints, and the worker
// replicas of data-parallel training.
import { tf } from "../tf.js";
import type { DataParallelOptions, DataParallelTrainer } from "../parallel/dataParallel.js";

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
