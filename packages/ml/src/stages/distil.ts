// Stage 3: distillation (SimCLR v2 self-training). The student learns the teacher's softened distribution,
//   L = -(1 - a) sum_y P_T(y|x; tau) log P_S(y|x'; tau) + a * CE(ground truth),
// with the ground-truth term only where a label exists. The teacher runs in inference mode. By default it labels
// each image as stored (x, once, before the first step) while the student learns on augmented views (x'): Noisy
// Student's un-noised teacher and noised student (Xie et al. 2020). SimCLR v2 gives both the same view (x = x'),
// which `teacherView: "augmented"` keeps.
// With `workers` > 1 (wasm in Node), each worker thread holds the teacher and a student replica and takes a shard
// of every batch (DataParallelTrainer.stepDistil); batches and augmentations are the same as on one thread.
import { tf } from "../tf.js";
import { fineTuneAugmentConfig, type AugmentConfig } from "../augment/augment.js";
import { createOptimizer, setLearningRate, warmupCosine, type OptimizerName } from "../optim/lars.js";
import {
  augmentedBatch,
  augmentedBatchData,
  runStage,
  sampleBatch,
  softmaxCrossEntropy,
  stepRandom,
  type Classifier,
  type ImageSource,
  type StageResult,
  type StageRunOptions,
} from "./common.js";

export interface DistilOptions extends StageRunOptions {
  teacher: Classifier;
  student: Classifier;
  images: ImageSource;
  steps: number;
  batchSize: number;
  /** Softmax temperature for both teacher and student (SimCLR v2 uses 1 for self-distillation). */
  temperature?: number;
  /** Optional ground truth and its weight a in [0, 1] (default 0.5 when given). */
  groundTruth?: { indices: ArrayLike<number>; labels: ArrayLike<number>; weight?: number };
  optimizer?: OptimizerName;
  learningRate?: number;
  warmupSteps?: number;
  augment?: AugmentConfig | null;
  /**
   * What the teacher labels: "clean" (default), each image as stored, once; "augmented", the student's augmented
   * view, every step. Measured on Fashion-MNIST (300 labels, a teacher of 80.3% distilled into its own copy over
   * 3,000 images for 15 epochs, 2 worker threads, packages/ml/bench/semi.ts): students of 80.0% (clean, 78 s) and
   * 80.2% (augmented, 95 s), the same within the noise of 2,000 test images, and clean runs without the teacher's
   * forward pass in every step and without a teacher replica in every worker.
   */
  teacherView?: "clean" | "augmented";
  /**
   * Worker threads (wasm backend, Node): the teacher's forward pass, most of a step, is split with the rest. Needs
   * a teacher and a student whose `models` can be replicated (`encoderClassifier` or `modelClassifier`). Batch norm
   * runs per shard; the workers' optimizer state is copied into the returned optimizer and into checkpoints.
   */
  workers?: number;
}

export async function distil(o: DistilOptions): Promise<StageResult> {
  const tau = o.temperature ?? 1;
  const cfg = o.augment === undefined ? fineTuneAugmentConfig() : o.augment;
  const optName = o.optimizer ?? "adam";
  const baseLr = o.learningRate ?? 1e-3;
  const lr = (k: number) => warmupCosine(k, o.steps, baseLr, o.warmupSteps ?? 0);
  const optimizer = o.optimizerInstance ?? createOptimizer(optName, baseLr);
  const gt = new Map<number, number>();
  if (o.groundTruth) for (let i = 0; i < o.groundTruth.indices.length; i++) gt.set(o.groundTruth.indices[i]!, o.groundTruth.labels[i]!);
  const a = o.groundTruth ? o.groundTruth.weight ?? 0.5 : 0;
  const seed = o.seed ?? 3;
  const student = o.student.models, teacher = o.teacher.models;
  const parallel = (o.workers ?? 1) > 1;
  const table = (o.teacherView ?? "clean") === "clean" ? await teacherTable(o.teacher, o.images, tau) : null;
  if (parallel && !(student && (teacher || table))) throw new Error("distil: workers need a student (and, labelling augmented views, a teacher) whose models can be replicated");
  const imagesPerStep = Math.min(o.batchSize, o.images.count);
  const replicas = parallel
    ? {
        workers: o.workers!,
        encoder: student!.encoder,
        head: student!.head,
        // With clean targets computed here, the replicas need no teacher.
        ...(table ? {} : { teacher: teacher! }),
        optimizer: optName,
        learningRate: baseLr,
        maxViews: imagesPerStep,
      }
    : null;
  return runStage(o, { stage: "distil", totalSteps: o.steps, imagesPerStep, learningRate: lr, optimizer }, replicas, (k, dp) => {
    const r = stepRandom(seed, k);
    setLearningRate(optimizer, lr(k));
    const batch = sampleBatch(o.images.count, o.batchSize, r);
    if (dp) {
      const { data, shape } = augmentedBatchData(o.images, batch, cfg, r);
      const groundTruth = a > 0 ? { labels: Int32Array.from(batch, (i) => gt.get(i) ?? 0), has: Float32Array.from(batch, (i) => (gt.has(i) ? 1 : 0)), weight: a } : undefined;
      return dp.stepDistil(data, shape, lr(k), { temperature: tau, groundTruth, targets: table ? table.rows(batch) : undefined });
    }
    return tf.tidy(() => {
      const x = augmentedBatch(o.images, batch, cfg, r);
      const target = table ? tf.tensor2d(table.rows(batch), [batch.length, table.classes]) : (tf.softmax(tf.div(o.teacher.logits(x, false), tau)) as tf.Tensor2D);
      // Ground-truth rows: one-hot labels and a 0/1 mask of which rows have one.
      const has: number[] = Array.from(batch, (i) => (gt.has(i) ? 1 : 0));
      const cost = optimizer.minimize(
        () => {
          const logits = o.student.logits(x, true);
          let loss = softmaxCrossEntropy(tf.div(logits, tau) as tf.Tensor2D, target);
          if (a > 0 && has.some(Boolean)) {
            const k2 = logits.shape[1];
            const onehot = tf.oneHot(tf.tensor1d(Array.from(batch, (i) => gt.get(i) ?? 0), "int32"), k2);
            const mask = tf.tensor1d(has);
            const logp = tf.sub(logits, tf.logSumExp(logits, 1, true));
            const ce = tf.div(tf.neg(tf.sum(tf.mul(tf.sum(tf.mul(onehot, logp), 1), mask))), Math.max(1, has.reduce((s, v) => s + v, 0)));
            loss = tf.add(tf.mul(loss, 1 - a), tf.mul(ce, a)) as tf.Scalar;
          }
          return loss;
        },
        true,
        o.student.trainableVariables,
      );
      return cost!;
    });
  });
}

/** The teacher's softened distribution on every image as stored, computed once in blocks; rows by image index. */
async function teacherTable(teacher: Classifier, images: ImageSource, tau: number, block = 256): Promise<{ classes: number; rows(batch: ArrayLike<number>): Float32Array }> {
  const parts: Float32Array[] = [];
  let classes = 0;
  for (let a = 0; a < images.count; a += block) {
    const idx = Array.from({ length: Math.min(block, images.count - a) }, (_, i) => a + i);
    const p = tf.tidy(() => tf.softmax(tf.div(teacher.logits(images.get(idx), false), tau)) as tf.Tensor2D);
    classes = p.shape[1];
    parts.push((await p.data()) as Float32Array);
    p.dispose();
  }
  const all = new Float32Array(images.count * classes);
  parts.reduce((o, part) => (all.set(part, o), o + part.length), 0);
  return {
    classes,
    rows: (batch) => {
      const out = new Float32Array(batch.length * classes);
      for (let i = 0; i < batch.length; i++) out.set(all.subarray(batch[i]! * classes, (batch[i]! + 1) * classes), i * classes);
      return out;
    },
  };
}
