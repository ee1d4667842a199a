// Stage 3: distillation (SimCLR v2 self-training). The student learns the teacher's softened distribution,
//   L = -(1 - a) sum_y P_T(y|x; tau) log P_S(y|x'; tau) + a * CE(ground truth),
// with the ground-truth term only where a label exists. The teacher runs in inference mode. By default it labels
// each image as stored (x, once, before the first step) while the student learns on augmented views (x'): Noisy
// Student's un-noised teacher and noised student (Xie et al. 2020). SimCLR v2 gives both the same view (x = x'),
// which `teacherView: "augmented"` keeps.
// With `workers` > 1 (wasm in Node), each worker thread holds the teacher and a student replica and takes a shard
// of every batch (DataParallelTrainer.stepDistil); batches and augmentations are the same as on one thread.
// `selfTraining` swaps the soft labels for confident hard pseudo-labels relabelled by the student every round
// (FixMatch's loss with Noisy Student's rounds; see SelfTrainingOptions): the product's stage 3 by default.
import { tf } from "../tf.js";
import { argmaxRows } from "../eval/knn.js";
import { fineTuneAugmentConfig, type AugmentConfig } from "../augment/augment.js";
import { createOptimizer, setLearningRate, warmupCosine, type OptimizerName } from "../optim/lars.js";
import { augmentedBatch, augmentedBatchData } from "./batches.js";
import { runStage, type StageResult, type StageRunOptions } from "./runStage.js";
import { sampleBatch, stepRandom } from "./sampling.js";
import { softmaxCrossEntropy } from "../losses/softmaxCrossEntropy.js";
import type { Classifier } from "./classifier.js";
import type { ImageSource } from "./imageSource.js";

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
  /**
   * Self-training on confident pseudo-labels instead of the teacher's soft labels on every image (below). Needs no
   * `teacherView` (targets come from the images as stored) and ignores `temperature` and `groundTruth.weight`.
   */
  selfTraining?: SelfTrainingOptions;
}

/**
 * FixMatch's loss (Sohn et al. 2020) with Noisy Student's rounds (Xie et al. 2020): every step takes
 * `labelledPerStep` labelled images (their ground truth) and `batchSize` unlabelled ones whose pseudo-label is
 * confident, both augmented, and minimises CE(labelled) + weight * CE(pseudo-labelled), each a mean over its rows.
 * Pseudo-labels are the argmax on the image as stored, kept where its probability is at least `threshold`; the first
 * round's come from the teacher, and every `refreshEvery` steps the student labels again (its own better guesses
 * widen the confident set). FixMatch labels a weak view at every step instead; a table per round costs one forward
 * pass over the images per round rather than one per step. Measured offline on Fashion-MNIST (300 labels, 3,000
 * images, packages/ml/bench/semi.ts): from a 77.2% network, 77.8-80.3% after 10 rounds (four runs, one or two
 * threads) where soft-label distillation gave 77.0%; from the product's teacher (the network with a pixel expert,
 * 79.8%) 79.5% and 79.7% where distillation gave 78.7%, and 81.5% against 80.8% from a 60-epoch encoder's.
 */
export interface SelfTrainingOptions {
  /** A pseudo-label counts when its class probability is at least this (FixMatch: 0.95). */
  threshold: number;
  /** Steps between two labellings of the images (a round; one pass over the unlabelled images suits). */
  refreshEvery: number;
  /** Labelled images per step, beside `batchSize` pseudo-labelled ones (FixMatch's mu = batchSize / this). */
  labelledPerStep: number;
  /** Weight of the pseudo-labelled term (FixMatch's lambda, default 1). */
  weight?: number;
  /** Called after each labelling with its round and how many unlabelled images were confident. */
  onRound?: (round: number, confident: number, unlabelled: number) => void;
}

/** A round's pseudo-labels: the unlabelled images whose label is confident, and each image's argmax. */
export interface PseudoLabels {
  round: number;
  confident: Int32Array;
  argmax: Int32Array;
  classes: number;
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
  const a = o.groundTruth ? (o.groundTruth.weight ?? 0.5) : 0;
  const seed = o.seed ?? 3;
  const student = o.student.models,
    teacher = o.teacher.models;
  const parallel = (o.workers ?? 1) > 1;
  const st = o.selfTraining;
  const table = !st && (o.teacherView ?? "clean") === "clean" ? await teacherTable(o.teacher, o.images, tau) : null;
  if (parallel && !(student && (teacher || table || st))) throw new Error("distil: workers need a student (and, labelling augmented views, a teacher) whose models can be replicated");
  const imagesPerStep = st ? Math.min(o.batchSize + st.labelledPerStep, o.images.count) : Math.min(o.batchSize, o.images.count);
  const replicas = parallel
    ? {
        workers: o.workers!,
        encoder: student!.encoder,
        head: student!.head,
        // With clean targets computed here, the replicas need no teacher.
        ...(table || st ? {} : { teacher: teacher! }),
        optimizer: optName,
        learningRate: baseLr,
        maxViews: imagesPerStep,
      }
    : null;
  let pseudo: PseudoLabels | null = null;
  const gtIndices = Int32Array.from(gt.keys());
  return runStage(o, { stage: "distil", totalSteps: o.steps, imagesPerStep, learningRate: lr, optimizer }, replicas, async (k, dp) => {
    const r = stepRandom(seed, k);
    setLearningRate(optimizer, lr(k));
    if (st) {
      const round = Math.floor(k / Math.max(1, st.refreshEvery));
      if (pseudo?.round !== round) {
        // The student labels from round 1 on; on replicas its weights live in the workers until synced.
        if (round > 0 && dp) await dp.syncTo();
        pseudo = await pseudoLabelRound(round > 0 ? o.student : o.teacher, o.images, gt, st.threshold, o.batchSize, round);
        st.onRound?.(round, pseudo.confident.length, o.images.count - gt.size);
      }
      const { batch, targets } = selfTrainingBatch(pseudo, gtIndices, gt, st, o.batchSize, r);
      if (dp) {
        const { data, shape } = augmentedBatchData(o.images, batch, cfg, r);
        return dp.stepDistil(data, shape, lr(k), { temperature: 1, targets });
      }
      return tf.tidy(() => {
        const x = augmentedBatch(o.images, batch, cfg, r);
        const target = tf.tensor2d(targets, [batch.length, pseudo!.classes]);
        return optimizer.minimize(() => softmaxCrossEntropy(o.student.logits(x, true), target), true, o.student.trainableVariables)!;
      });
    }
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
            const onehot = tf.oneHot(
              tf.tensor1d(
                Array.from(batch, (i) => gt.get(i) ?? 0),
                "int32",
              ),
              k2,
            );
            const mask = tf.tensor1d(has);
            const logp = tf.sub(logits, tf.logSumExp(logits, 1, true));
            const ce = tf.div(
              tf.neg(tf.sum(tf.mul(tf.sum(tf.mul(onehot, logp), 1), mask))),
              Math.max(
                1,
                has.reduce((s, v) => s + v, 0),
              ),
            );
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

/**
 * Labels every image as stored with `labeller`; keeps the unlabelled ones whose top probability reaches `threshold`,
 * or, where fewer than `minimum` do (a teacher of many classes, or one trained briefly, is rarely that sure), the
 * `minimum` most confident ones, so that a round never learns from the labels alone.
 */
export async function pseudoLabelRound(labeller: Classifier, images: ImageSource, gt: Map<number, number>, threshold: number, minimum: number, round: number): Promise<PseudoLabels> {
  const t = await teacherTable(labeller, images, 1);
  const all = t.rows(Array.from({ length: images.count }, (_, i) => i));
  const argmax = argmaxRows(all, t.classes);
  const top = Float32Array.from(argmax, (c, i) => all[i * t.classes + c]!);
  const unlabelled = Array.from({ length: images.count }, (_, i) => i).filter((i) => !gt.has(i));
  let confident = unlabelled.filter((i) => top[i]! >= threshold);
  if (confident.length < minimum)
    confident = unlabelled
      .sort((a, b) => top[b]! - top[a]! || a - b)
      .slice(0, minimum)
      .sort((a, b) => a - b);
  return { round, confident: Int32Array.from(confident), argmax, classes: t.classes };
}

/**
 * One self-training step's images (labelled and confidently pseudo-labelled, interleaved) and their targets: one-hot rows
 * scaled so that the batch-mean cross-entropy `distil` minimises equals FixMatch's CE(labelled) + weight *
 * CE(pseudo-labelled), each a mean over its own rows (a target row scaled by w weighs its row's loss by w).
 */
export function selfTrainingBatch(
  pseudo: PseudoLabels,
  gtIndices: Int32Array,
  gt: Map<number, number>,
  st: SelfTrainingOptions,
  batchSize: number,
  r: () => number,
): { batch: Int32Array; targets: Float32Array } {
  const labelled = gtIndices.length ? sampleBatch(0, st.labelledPerStep, r, gtIndices) : new Int32Array(0);
  const unlabelled = pseudo.confident.length ? sampleBatch(0, batchSize, r, pseudo.confident) : new Int32Array(0);
  // Interleaved, so that every shard of a data-parallel step (its own batch-norm statistics) holds both kinds in
  // the batch's proportion, as FixMatch interleaves across GPUs.
  const rows = interleave(labelled.length, unlabelled.length);
  const batch = Int32Array.from(rows, ([kind, j]) => (kind === 0 ? labelled[j]! : unlabelled[j]!));
  const k = pseudo.classes;
  const targets = new Float32Array(batch.length * k);
  const wl = batch.length / Math.max(1, labelled.length);
  const wu = ((st.weight ?? 1) * batch.length) / Math.max(1, unlabelled.length);
  rows.forEach(([kind, j], row) => (targets[row * k + (kind === 0 ? gt.get(labelled[j]!)! : pseudo.argmax[unlabelled[j]!]!)] = kind === 0 ? wl : wu));
  return { batch, targets };
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

/** Rows of two lists merged evenly ([list, index] pairs): every prefix holds both in about their overall proportion. */
export function interleave(a: number, b: number): Array<[0 | 1, number]> {
  const n = a + b;
  let i = 0,
    j = 0;
  // Row r is from the first list when the count of first-list rows due by r + 1 rows (floor((r + 1) a / n)) grows.
  return Array.from({ length: n }, (_, r): [0 | 1, number] => (Math.floor(((r + 1) * a) / n) > Math.floor((r * a) / n) ? [0, i++] : [1, j++]));
}
