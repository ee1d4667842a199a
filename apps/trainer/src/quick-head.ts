// The quick head behind suggestions that react in seconds (issue 12, item 6): a classifier on fixed feature rows (the
// pretrained encoder's embeddings, computed once per encoder version) trained on the current labels in about a
// second, so suggestions follow new labels while fine-tuning catches up. Two candidates, the cheap few-label heads of
// the SimCLR line of work: kNN on the embeddings (k from a short list) and a linear probe (multinomial logistic
// regression, L2 as sklearn's C = 1); the probe is kept unless kNN's cross-validated accuracy on the labelled rows is
// better by more than one standard error of the difference (see fitQuickHead). Folds are stratified by class and
// fixed by the row order, and both candidates see the same folds, so the choice is deterministic and fair.
// Choosing costs five probes' worth of cross-validation, so a caller may keep a choice while the labels grow a little
// and only refit the chosen head (`fitQuickHead` with `choice`).
// `chooseQuickHead` runs that choice on more than one set of feature rows: the images' own pixels (downsampled) and
// the encoder's embeddings. A briefly pretrained encoder can embed worse than raw pixels (a 20-step encoder on four
// kinds of clothing: 42-71% against pixel kNN's ~80%), and pixel kNN and logistic regression are the baselines every
// model is held to, so the pixels are the default and the embeddings replace them only when they cross-validate
// better by more than one standard error of the difference: with 16 labels a 20-step encoder's kNN read 15 of 16 in
// cross-validation and 57% on the images it then labelled.
import { accuracyDifferenceError } from "@fewlabel/api/serving-model";
import { argmaxRows, knnNeighbours, knnVotes, tf } from "@fewlabel/ml";

export const QUICK_HEAD_KS = [1, 3, 5, 10, 20] as const;

export interface QuickHeadOptions {
  numClasses: number;
  seed: number;
  /** Cross-validation folds (fewer when there are fewer rows). */
  folds?: number;
  ks?: readonly number[];
  /** Full-batch Adam steps of the linear probe (100 at 0.02 is within a point of 300 at 0.01 on Fashion-MNIST). */
  linearSteps?: number;
}

export interface QuickHeadCandidate {
  /** "knn-5", "linear". */
  name: string;
  cvAccuracy: number;
}

/** The feature rows a quick head reads: a pretrained encoder's embeddings, or the images' (downsampled) pixels. */
export type QuickFeatures = "encoder" | "pixels";

/** Which head, and how it cross-validated on the `cvLabels` rows it was chosen on. */
export interface QuickHeadChoice {
  /** Which feature rows the head reads (fitQuickHead alone: "encoder"). */
  features: QuickFeatures;
  method: "knn" | "linear";
  /** Neighbours that vote (kNN only). */
  k: number | null;
  cvAccuracy: number;
  cvLabels: number;
  candidates: QuickHeadCandidate[];
}

export interface QuickHead extends QuickHeadChoice {
  /** Class probabilities of feature rows, [rows x numClasses] row-major. */
  probabilities(features: tf.Tensor2D): Promise<Float32Array>;
  dispose(): void;
}

/**
 * Stratified fold of each row: the rows sorted by class (then by their order) are dealt round-robin, so every fold
 * gets its share of each class and a class starts where the previous one stopped (small classes do not all land in
 * fold 0).
 */
export function stratifiedFolds(labels: ArrayLike<number>, folds: number): Int32Array {
  const out = new Int32Array(labels.length);
  const order = Array.from(labels, (l, i) => [l, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  order.forEach(([, i], position) => (out[i] = position % folds));
  return out;
}

/**
 * kNN class probabilities: the votes of the k nearest labelled rows plus one pseudo-vote spread evenly over the
 * classes (add-one smoothing), so a unanimous vote of 20 neighbours is more certain than one neighbour's, and no class
 * is ever ruled out entirely.
 */
export function knnProbabilities(votes: Float64Array, numClasses: number): Float32Array {
  const out = new Float32Array(votes.length);
  for (let i = 0; i < votes.length / numClasses; i++) {
    let total = 1;
    for (let c = 0; c < numClasses; c++) total += votes[i * numClasses + c]!;
    for (let c = 0; c < numClasses; c++) out[i * numClasses + c] = (votes[i * numClasses + c]! + 1 / numClasses) / total;
  }
  return out;
}

/**
 * Linear probes trained together in one run: probe f on the rows outside fold f (none without folds), and a last
 * probe on every row (the one kept). Each probe is its own L2-regularised softmax regression (C = 1: penalty 1 / its
 * row count) with its own Adam moments; their losses are summed, and Adam is elementwise, so each learns exactly what
 * it would alone, in one loop of a few ops per step instead of one loop per probe. Features are standardised with
 * the statistics of all labelled rows (no labels in that).
 */
async function trainProbes(features: tf.Tensor2D, labels: ArrayLike<number>, fold: Int32Array | null, folds: number, o: QuickHeadOptions) {
  const [n, d] = features.shape;
  const probes = folds + 1;
  const { mean, variance } = tf.moments(features, 0);
  const scale = tf.tidy(() => tf.rsqrt(tf.add(variance, 1e-6)));
  const standardise = (f: tf.Tensor2D) => tf.mul(tf.sub(f, mean), scale) as tf.Tensor2D;
  // mask[p][i] = 1 when probe p trains on row i.
  const maskValues = new Float32Array(probes * n);
  const rowsOf = new Float32Array(probes);
  for (let p = 0; p < probes; p++) {
    for (let i = 0; i < n; i++) if (p === folds || fold![i] !== p) maskValues[p * n + i] = 1;
    rowsOf[p] = maskValues.subarray(p * n, (p + 1) * n).reduce((a, b) => a + b, 0);
  }
  const [x, targets, mask, perRow, decay] = tf.tidy(() => [
    tf.tile(tf.expandDims(standardise(features), 0), [probes, 1, 1]) as tf.Tensor3D,
    tf.oneHot(tf.tensor1d(Array.from(labels), "int32"), o.numClasses) as tf.Tensor2D,
    tf.tensor2d(maskValues, [probes, n]),
    tf.tensor2d(
      Array.from(rowsOf, (r) => 1 / Math.max(1, r)),
      [probes, 1],
    ),
    tf.tensor3d(
      Array.from(rowsOf, (r) => 1 / Math.max(1, r) / 2),
      [probes, 1, 1],
    ),
  ]);
  // The kept probe starts from the same weights with or without fold probes beside it, so refitting a kept choice on
  // the same rows gives the same head.
  const w = tf.variable(
    tf.tidy(() => {
      const kept = tf.randomNormal([1, d, o.numClasses], 0, Math.sqrt(1 / d), "float32", o.seed);
      return folds ? tf.concat([tf.randomNormal([folds, d, o.numClasses], 0, Math.sqrt(1 / d), "float32", o.seed + 1), kept], 0) : kept;
    }),
  );
  const b = tf.variable(tf.zeros([probes, 1, o.numClasses]));
  const optimizer = tf.train.adam(0.02);
  try {
    for (let step = 0; step < (o.linearSteps ?? 100); step++) {
      const loss = optimizer.minimize(
        () => {
          const logits = tf.add(tf.matMul(x, w), b);
          const logp = tf.sub(logits, tf.logSumExp(logits, 2, true));
          const ce = tf.neg(tf.sum(tf.mul(targets, logp), 2)); // [probes, n]
          const perProbe = tf.mul(tf.sum(tf.mul(ce, mask), 1, true), perRow);
          return tf.add(tf.sum(perProbe), tf.sum(tf.mul(decay, tf.square(w)))) as tf.Scalar;
        },
        true,
        [w, b],
      );
      loss?.dispose();
      if ((step + 1) % 25 === 0) await new Promise((r) => setTimeout(r, 0));
    }
    // Cross-validated predictions: each row by the probe that did not see it.
    const cvPredicted = new Int32Array(folds ? n : 0);
    if (folds) {
      const scores = tf.tidy(() => tf.add(tf.matMul(x, w), b));
      const all = await scores.data();
      scores.dispose();
      const c = o.numClasses;
      for (let i = 0; i < n; i++) cvPredicted[i] = argmaxRows(all.subarray((fold![i]! * n + i) * c, (fold![i]! * n + i + 1) * c), c)[0]!;
    }
    const [kernel, bias] = tf.tidy(() => [tf.squeeze(tf.slice(w, [folds, 0, 0], [1, -1, -1]), [0]) as tf.Tensor2D, tf.squeeze(tf.slice(b, [folds, 0, 0], [1, -1, -1]), [0]) as tf.Tensor2D]);
    return {
      cvPredicted,
      probabilities: async (f: tf.Tensor2D) => {
        const p = tf.tidy(() => tf.softmax(tf.add(tf.matMul(standardise(f), kernel!), bias!)));
        const out = (await p.data()) as Float32Array;
        p.dispose();
        return out;
      },
      dispose: () => tf.dispose([kernel!, bias!, mean, variance, scale]),
    };
  } finally {
    tf.dispose([x, targets, mask, perRow, decay, w, b]);
    optimizer.dispose();
  }
}

const gatherRows = (features: tf.Tensor2D, rows: number[]) => tf.tidy(() => tf.gather(features, tf.tensor1d(rows, "int32")) as tf.Tensor2D);

/** kNN with `k` on every labelled row. */
function knnHead(features: tf.Tensor2D, labels: ArrayLike<number>, k: number, numClasses: number) {
  const reference = tf.clone(features);
  const labelList = Array.from(labels);
  return {
    probabilities: async (rows: tf.Tensor2D) => knnProbabilities(knnVotes(await knnNeighbours(reference, rows, { k }), labelList, numClasses, k), numClasses),
    dispose: () => reference.dispose(),
  };
}

/**
 * The quick head on these labelled rows: both candidates cross-validated and the better one trained on all of them,
 * or, given an earlier `choice`, that head refitted on these rows without cross-validating again.
 */
export async function fitQuickHead(features: tf.Tensor2D, labels: ArrayLike<number>, o: QuickHeadOptions & { choice?: QuickHeadChoice; features?: QuickFeatures }): Promise<QuickHead> {
  const featuresName = o.choice?.features ?? o.features ?? "encoder";
  const n = features.shape[0];
  if (n < 2 || n !== labels.length) throw new Error(`a quick head needs at least two labelled rows (got ${n} rows, ${labels.length} labels)`);
  if (o.choice) {
    const head = o.choice.method === "knn" ? knnHead(features, labels, o.choice.k!, o.numClasses) : await trainProbes(features, labels, null, 0, o);
    return { ...o.choice, probabilities: head.probabilities, dispose: head.dispose };
  }
  const ks = [...(o.ks ?? QUICK_HEAD_KS)].sort((a, b) => a - b);
  const folds = Math.max(2, Math.min(o.folds ?? 5, n));
  const fold = stratifiedFolds(labels, folds);
  const knnCorrect = new Map<number, number>(ks.map((k) => [k, 0]));
  for (let f = 0; f < folds; f++) {
    const trainRows: number[] = [],
      testRows: number[] = [];
    for (let i = 0; i < n; i++) (fold[i] === f ? testRows : trainRows).push(i);
    if (testRows.length === 0 || trainRows.length === 0) continue;
    const trainLabels = trainRows.map((i) => labels[i]!),
      testLabels = testRows.map((i) => labels[i]!);
    const a = gatherRows(features, trainRows),
      b = gatherRows(features, testRows);
    try {
      const neighbours = await knnNeighbours(a, b, { k: ks[ks.length - 1]! });
      for (const k of ks) {
        // A k beyond this fold's training rows is the same vote as all of them; it still counts, so every k is
        // scored on every fold.
        const predicted = argmaxRows(knnVotes(neighbours, trainLabels, o.numClasses, k), o.numClasses);
        knnCorrect.set(k, knnCorrect.get(k)! + predicted.filter((p, i) => p === testLabels[i]).length);
      }
    } finally {
      tf.dispose([a, b]);
    }
  }
  // The probes of every fold and the final one in one run; the final one is kept if the probe wins.
  const probe = await trainProbes(features, labels, fold, folds, o);
  const linearAccuracy = probe.cvPredicted.filter((p, i) => p === labels[i]).length / n;
  const candidates: QuickHeadCandidate[] = [...ks.map((k) => ({ name: `knn-${k}`, cvAccuracy: knnCorrect.get(k)! / n })), { name: "linear", cvAccuracy: linearAccuracy }];
  // The best k (ties to the larger: more neighbours give smoother probabilities), then kNN against the probe: kNN only
  // when it cross-validates better by more than one standard error of the difference. The best of five k against
  // one probe wins small margins by chance, more so on the skewed label sets an uncertainty-first queue makes, and
  // then reads worse on the images it labels (bench:active's rounds offline, 1,000 random labels on 14 x 14 pixels:
  // kNN chosen by cross-validation 75.0% on the test images, the probe 77.4%; on actively chosen labels 4-6 points
  // lower for a round whenever kNN won); a probe's probabilities also rank the queue's uncertainty finer than votes.
  const bestK = ks.reduce((best, k) => (knnCorrect.get(k)! >= knnCorrect.get(best)! ? k : best), ks[0]!);
  const knnAccuracy = knnCorrect.get(bestK)! / n;
  if (!(knnAccuracy > linearAccuracy + cvStandardError(linearAccuracy, knnAccuracy, n)))
    return { features: featuresName, method: "linear", k: null, cvAccuracy: linearAccuracy, cvLabels: n, candidates, probabilities: probe.probabilities, dispose: probe.dispose };
  probe.dispose();
  const head = knnHead(features, labels, bestK, o.numClasses);
  return { features: featuresName, method: "knn", k: bestK, cvAccuracy: knnAccuracy, cvLabels: n, candidates, probabilities: head.probabilities, dispose: head.dispose };
}

/**
 * The quick head over several sets of feature rows of the same labelled rows (in order of preference): each set's
 * best head cross-validated as `fitQuickHead` does; a later set replaces the kept one only when its cross-validated
 * accuracy is higher by more than one standard error of the difference (each a binomial proportion on the labelled
 * rows, smoothed as (correct + 1) / (n + 2)), so a handful of labels cannot crown a set by chance. Candidates are named
 * by set ("pixels:knn-5"). Given an earlier `choice`, only its set is refitted.
 */
export async function chooseQuickHead(
  sets: readonly { features: QuickFeatures; rows: tf.Tensor2D }[],
  labels: ArrayLike<number>,
  o: QuickHeadOptions & { choice?: QuickHeadChoice },
): Promise<QuickHead> {
  if (o.choice) {
    const set = sets.find((s) => s.features === o.choice!.features);
    if (!set) throw new Error(`no ${o.choice.features} rows for the kept quick head`);
    return fitQuickHead(set.rows, labels, o);
  }
  let best: QuickHead | null = null;
  const candidates: QuickHeadCandidate[] = [];
  for (const set of sets) {
    const head = await fitQuickHead(set.rows, labels, { ...o, features: set.features });
    candidates.push(...head.candidates.map((c) => ({ name: `${set.features}:${c.name}`, cvAccuracy: c.cvAccuracy })));
    if (!best || head.cvAccuracy > best.cvAccuracy + cvStandardError(best.cvAccuracy, head.cvAccuracy, labels.length)) {
      best?.dispose();
      best = head;
    } else head.dispose();
  }
  if (!best) throw new Error("a quick head needs at least one set of feature rows");
  return { ...best, candidates, probabilities: best.probabilities, dispose: best.dispose };
}

/** One standard error of the difference of two cross-validated accuracies on the same n rows (the serving rule's). */
export function cvStandardError(a: number, b: number, n: number): number {
  return accuracyDifferenceError({ accuracy: a, count: n }, { accuracy: b, count: n });
}
