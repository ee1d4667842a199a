// Stage 1 of SimCLR v2: contrastive pretraining on unlabelled images. Each step draws a batch, makes two
// augmented views of every image, runs both through encoder + projection head in one pass (so batch norm
// sees all 2N views, like SimCLR's global BN on one device), and minimises NT-Xent.
import { tf, type tfl } from "../tf.js";
import { defaultAugmentConfig, type AugmentConfig } from "../augment/augment.js";
import { ntXentLoss } from "../losses/ntXent.js";
import { createOptimizer, setLearningRate, warmupCosine, type OptimizerName } from "../optim/lars.js";
import { runStage, type StageResult, type StageRunOptions } from "./runStage.js";
import { sampleBatch, stepRandom } from "./sampling.js";
import { stageBatches } from "./batches.js";
import { variablesOf } from "../models/variables.js";
import type { ImageSource } from "./imageSource.js";

export interface PretrainOptions extends StageRunOptions {
  encoder: tfl.LayersModel;
  projectionHead: tfl.LayersModel;
  images: ImageSource;
  steps: number;
  /** Images per step; each gives two views, so the network sees 2x this many. */
  batchSize: number;
  temperature?: number;
  /**
   * "lars" (SimCLR's choice, for batches of hundreds and more; default base LR 0.3 * batch / 256) or
   * "adam" (default base LR 1e-3), the better choice for the small batches a laptop trains with.
   */
  optimizer?: OptimizerName;
  learningRate?: number;
  weightDecay?: number;
  /** Linear warm-up steps before the cosine decay; default 10% of the steps. */
  warmupSteps?: number;
  augment?: AugmentConfig;
  /**
   * Node + wasm: train on this many worker threads (data-parallel, see parallel/dataParallel.ts); wasm runs
   * one thread per process. Augmentation stays on this thread. Batch-norm statistics are per shard (so the
   * result depends on the worker count). The optimizer state lives in the workers and is copied into the
   * optimizer handed to checkpoints and returned, and a given `optimizerInstance` seeds the workers, so a run
   * resumed from a checkpoint with the same worker count continues exactly.
   */
  workers?: number;
  /** Node: make each step's batch ahead of time on worker threads (true: one; or how many; see stageBatches); the same batches either way. */
  prefetch?: boolean | number;
}

export type { StageResult };

/** Input shape [H, W, C] of a model's first input. */
export function inputShapeOf(model: tfl.LayersModel): [number, number, number] {
  const s = model.inputs[0]!.shape;
  return [s[1]!, s[2]!, s[3]!];
}

export async function pretrainContrastive(o: PretrainOptions): Promise<StageResult> {
  const [size, , channels] = inputShapeOf(o.encoder);
  const cfg = o.augment ?? defaultAugmentConfig(size, channels as 1 | 3);
  const optName = o.optimizer ?? "lars";
  const baseLr = o.learningRate ?? (optName === "lars" ? (0.3 * o.batchSize) / 256 : 1e-3);
  const warmup = o.warmupSteps ?? Math.round(o.steps * 0.1);
  const lr = (k: number) => warmupCosine(k, o.steps, baseLr, warmup);
  const optimizer = o.optimizerInstance ?? createOptimizer(optName, baseLr, o.weightDecay ?? 1e-6);
  const vars = variablesOf(o.encoder, o.projectionHead);
  const seed = o.seed ?? 1;
  const workers = o.workers ?? 1;
  const imagesPerStep = 2 * Math.min(o.batchSize, o.images.count);
  const replicas =
    workers > 1
      ? {
          workers,
          encoder: o.encoder,
          head: o.projectionHead,
          optimizer: optName,
          learningRate: baseLr,
          weightDecay: o.weightDecay ?? 1e-6,
          temperature: o.temperature ?? 0.2,
          maxViews: imagesPerStep,
        }
      : null;
  const plan = (k: number) => {
    const r = stepRandom(seed, k);
    return { batch: sampleBatch(o.images.count, o.batchSize, r), r };
  };
  const batches = await stageBatches({ images: o.images, cfg, views: 2, plan, totalSteps: o.steps, prefetch: o.prefetch });
  try {
    return await runStage(o, { stage: "pretrain", totalSteps: o.steps, imagesPerStep, learningRate: lr, optimizer }, replicas, async (k, dp) => {
      if (dp) {
        const { data, shape } = await batches.data(k);
        return dp.step(data, shape, lr(k));
      }
      setLearningRate(optimizer, lr(k));
      const views = await batches.tensor(k);
      return tf.tidy(() => {
        const n = views.shape[0] / 2;
        const cost = optimizer.minimize(
          () => {
            const h = o.encoder.apply(views, { training: true }) as tf.Tensor;
            const z = o.projectionHead.apply(h, { training: true }) as tf.Tensor2D;
            const [z1, z2] = tf.split(z, [n, n], 0) as [tf.Tensor2D, tf.Tensor2D];
            return ntXentLoss(z1, z2, o.temperature ?? 0.2);
          },
          true,
          vars,
        );
        views.dispose();
        return cost!;
      });
    });
  } finally {
    await batches.dispose();
  }
}
