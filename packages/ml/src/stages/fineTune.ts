// Stage 2: supervised fine-tuning on the labelled subset, from the pretrained encoder and the projection
// head's first layer (SimCLR v2). Works for any Classifier, so it also trains a network from scratch
// (the fully supervised baseline).
import { tf } from "../tf.js";
import { fineTuneAugmentConfig, type AugmentConfig } from "../augment/augment.js";
import { createOptimizer, setLearningRate, warmupCosine, type OptimizerName } from "../optim/lars.js";
import { runStage, type StageResult, type StageRunOptions } from "./runStage.js";
import { sampleBatch, stepRandom } from "./sampling.js";
import { softmaxCrossEntropy } from "../losses/softmaxCrossEntropy.js";
import { stageBatches } from "./batches.js";
import type { Classifier } from "./classifier.js";
import type { ImageSource } from "./imageSource.js";

export interface FineTuneOptions extends StageRunOptions {
  classifier: Classifier;
  images: ImageSource;
  /** Indices into `images` that carry labels, and their class ids (same length). */
  labelled: { indices: ArrayLike<number>; labels: ArrayLike<number> };
  steps: number;
  batchSize: number;
  optimizer?: OptimizerName;
  learningRate?: number;
  weightDecay?: number;
  warmupSteps?: number;
  /** Default: crop + flip only. null: no augmentation. */
  augment?: AugmentConfig | null;
  /**
   * Node + wasm: train on this many worker threads (data-parallel, ../parallel/dataParallel.ts), for a classifier
   * made of an encoder and a head (`encoderClassifier`). Batch norm runs per shard; the workers' optimizer state
   * reaches checkpoints and the returned optimizer, as in pretraining.
   */
  workers?: number;
  /** Node: make each step's batch ahead of time on worker threads (true: one; or how many; see stageBatches); the same batches either way. */
  prefetch?: boolean | number;
}

export async function fineTune(o: FineTuneOptions): Promise<StageResult> {
  const { indices, labels } = o.labelled;
  if (indices.length !== labels.length || indices.length === 0) throw new Error("fineTune: need as many labels as labelled indices (> 0)");
  const labelOf = new Map<number, number>();
  for (let i = 0; i < indices.length; i++) labelOf.set(indices[i]!, labels[i]!);
  const cfg = o.augment === undefined ? fineTuneAugmentConfig() : o.augment;
  const optName = o.optimizer ?? "adam";
  const baseLr = o.learningRate ?? (optName === "lars" ? (0.05 * o.batchSize) / 256 : 1e-3);
  const lr = (k: number) => warmupCosine(k, o.steps, baseLr, o.warmupSteps ?? 0);
  const optimizer = o.optimizerInstance ?? createOptimizer(optName, baseLr, o.weightDecay ?? 0);
  const seed = o.seed ?? 2;
  const models = o.classifier.models;
  const imagesPerStep = Math.min(o.batchSize, indices.length);
  const replicas =
    (o.workers ?? 1) > 1 && models
      ? {
          workers: o.workers!,
          encoder: models.encoder,
          head: models.head,
          optimizer: optName,
          learningRate: baseLr,
          weightDecay: o.weightDecay ?? 0,
          maxViews: imagesPerStep,
        }
      : null;
  const plan = (k: number) => {
    const r = stepRandom(seed, k);
    return { batch: sampleBatch(o.images.count, o.batchSize, r, indices), r };
  };
  const batches = await stageBatches({ images: o.images, cfg, views: 1, plan, totalSteps: o.steps, prefetch: o.prefetch });
  try {
    return await runStage(o, { stage: "finetune", totalSteps: o.steps, imagesPerStep, learningRate: lr, optimizer }, replicas, async (k, dp) => {
      setLearningRate(optimizer, lr(k));
      const y = Int32Array.from(plan(k).batch, (i) => labelOf.get(i)!);
      if (dp) {
        const { data, shape } = await batches.data(k);
        return dp.stepSupervised(data, shape, y, lr(k));
      }
      const x = await batches.tensor(k);
      return tf.tidy(() => {
        const cost = optimizer.minimize(() => softmaxCrossEntropy(o.classifier.logits(x, true), tf.tensor1d(y, "int32")), true, o.classifier.trainableVariables);
        x.dispose();
        return cost!;
      });
    });
  } finally {
    await batches.dispose();
  }
}
