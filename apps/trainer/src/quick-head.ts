// The quick head behind suggestions that react in seconds (issue 12, item 6): a classifier on fixed feature rows (the
// pretrained encoder's embeddings, computed once per encoder version) trained on the current labels in well under a
// second, so suggestions follow every new label while fine-tuning catches up. Two candidates, the cheap few-label heads
// of the SimCLR line of work: kNN on the embeddings (k from a short list) and a linear probe (multinomial logistic
// regression, L2 as sklearn's C = 1); the one with the better cross-validated accuracy on the labelled rows is kept
// (ties to kNN, the cheaper, and the method a pretrained version's own metrics use). Folds are stratified by class and
// fixed by the row order, and both candidates see the same folds, so the choice is deterministic and fair.
import { argmaxRows, knnNeighbours, knnVotes, tf } from "@fewlabel/ml";

export const QUICK_HEAD_KS = [1, 3, 5, 10, 20] as const;

export interface QuickHeadOptions {
  numClasses: number;
  seed: number;
  /** Cross-validation folds (fewer when there are fewer rows). */
  folds?: number;
  ks?: readonly number[];
  /** Full-batch Adam steps of the linear probe. */
  linearSteps?: number;
}

export interface QuickHeadCandidate {
  /** "knn-5", "linear". */
  name: string;
  cvAccuracy: number;
}

export interface QuickHead {
  method: "knn" | "linear";
  /** Neighbours that vote (kNN only). */
  k: number | null;
  cvAccuracy: number;
  candidates: QuickHeadCandidate[];
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
 * Linear probes trained together in one run: probe f on the rows outside fold f, and a last probe on every row (the
 * one kept). Each probe is its own L2-regularised softmax regression (C = 1: penalty 1 / its row count) with its own
 * Adam moments; their losses are summed, and Adam is elementwise, so each learns exactly what it would alone, at the
 * cost of one probe: a step is a few tiny ops whose overhead, not arithmetic, is the time, so six separate probes
 * took six times as long. Features are standardised with the statistics of all labelled rows (no labels in that).
 */
async function trainFoldProbes(features: tf.Tensor2D, labels: ArrayLike<number>, fold: Int32Array, folds: number, o: QuickHeadOptions) {
  const [n, d] = features.shape;
  const probes = folds + 1;
  const { mean, variance } = tf.moments(features, 0);
  const scale = tf.tidy(() => tf.rsqrt(tf.add(variance, 1e-6)));
  const standardise = (f: tf.Tensor2D) => tf.mul(tf.sub(f, mean), scale) as tf.Tensor2D;
  // mask[p][i] = 1 when probe p trains on row i.
  const maskValues = new Float32Array(probes * n);
  const rowsOf = new Float32Array(probes);
  for (let p = 0; p < probes; p++) {
    for (let i = 0; i < n; i++) if (p === folds || fold[i] !== p) maskValues[p * n + i] = 1;
    rowsOf[p] = maskValues.subarray(p * n, (p + 1) * n).reduce((a, b) => a + b, 0);
  }
  const [x, targets, mask, perRow, decay] = tf.tidy(() => [
    tf.tile(tf.expandDims(standardise(features), 0), [probes, 1, 1]) as tf.Tensor3D,
    tf.oneHot(tf.tensor1d(Array.from(labels), "int32"), o.numClasses) as tf.Tensor2D,
    tf.tensor2d(maskValues, [probes, n]),
    tf.tensor2d(Array.from(rowsOf, (r) => 1 / Math.max(1, r)), [probes, 1]),
    tf.tensor3d(Array.from(rowsOf, (r) => 1 / Math.max(1, r) / 2), [probes, 1, 1]),
  ]);
  const w = tf.variable(tf.randomNormal([probes, d, o.numClasses], 0, Math.sqrt(1 / d), "float32", o.seed));
  const b = tf.variable(tf.zeros([probes, 1, o.numClasses]));
  const optimizer = tf.train.adam(0.01);
  try {
    for (let step = 0; step < (o.linearSteps ?? 150); step++) {
      const loss = optimizer.minimize(() => {
        const logits = tf.add(tf.matMul(x, w), b);
        const logp = tf.sub(logits, tf.logSumExp(logits, 2, true));
        const ce = tf.neg(tf.sum(tf.mul(targets, logp), 2)); // [probes, n]
        const perProbe = tf.mul(tf.sum(tf.mul(ce, mask), 1, true), perRow);
        return tf.add(tf.sum(perProbe), tf.sum(tf.mul(decay, tf.square(w)))) as tf.Scalar;
      }, true, [w, b]);
      loss?.dispose();
      if ((step + 1) % 25 === 0) await new Promise((r) => setTimeout(r, 0));
    }
    // Cross-validated predictions: each row by the probe that did not see it.
    const scores = tf.tidy(() => tf.add(tf.matMul(x, w), b));
    const all = await scores.data();
    scores.dispose();
    const cvPredicted = new Int32Array(n);
    for (let i = 0; i < n; i++) cvPredicted[i] = argmaxRows(all.subarray((fold[i]! * n + i) * o.numClasses, (fold[i]! * n + i + 1) * o.numClasses), o.numClasses)[0]!;
    const [kernel, bias] = tf.tidy(() => [tf.squeeze(tf.slice(w, [folds, 0, 0], [1, -1, -1]), [0]) as tf.Tensor2D, tf.squeeze(tf.slice(b, [folds, 0, 0], [1, -1, -1]), [0]) as tf.Tensor2D]);
    return {
      cvPredicted,
      logits: (f: tf.Tensor2D) => tf.tidy(() => tf.add(tf.matMul(standardise(f), kernel!), bias!) as tf.Tensor2D),
      dispose: () => tf.dispose([kernel!, bias!, mean, variance, scale]),
    };
  } finally {
    tf.dispose([x, targets, mask, perRow, decay, w, b]);
    optimizer.dispose();
  }
}

const gatherRows = (features: tf.Tensor2D, rows: number[]) => tf.tidy(() => tf.gather(features, tf.tensor1d(rows, "int32")) as tf.Tensor2D);

/** Fits both candidates by cross-validation on the labelled rows and keeps the better one, trained on all of them. */
export async function fitQuickHead(features: tf.Tensor2D, labels: ArrayLike<number>, o: QuickHeadOptions): Promise<QuickHead> {
  const n = features.shape[0];
  if (n < 2 || n !== labels.length) throw new Error(`a quick head needs at least two labelled rows (got ${n} rows, ${labels.length} labels)`);
  const ks = [...(o.ks ?? QUICK_HEAD_KS)].sort((a, b) => a - b);
  const folds = Math.max(2, Math.min(o.folds ?? 5, n));
  const fold = stratifiedFolds(labels, folds);
  const knnCorrect = new Map<number, number>(ks.map((k) => [k, 0]));
  for (let f = 0; f < folds; f++) {
    const trainRows: number[] = [], testRows: number[] = [];
    for (let i = 0; i < n; i++) (fold[i] === f ? testRows : trainRows).push(i);
    if (testRows.length === 0 || trainRows.length === 0) continue;
    const trainLabels = trainRows.map((i) => labels[i]!), testLabels = testRows.map((i) => labels[i]!);
    const a = gatherRows(features, trainRows), b = gatherRows(features, testRows);
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
  const probe = await trainFoldProbes(features, labels, fold, folds, o);
  const linearCorrect = probe.cvPredicted.filter((p, i) => p === labels[i]).length;
  const candidates: QuickHeadCandidate[] = [...ks.map((k) => ({ name: `knn-${k}`, cvAccuracy: knnCorrect.get(k)! / n })), { name: "linear", cvAccuracy: linearCorrect / n }];
  // The best k (ties to the larger: more neighbours give smoother probabilities), then kNN against the probe.
  const bestK = ks.reduce((best, k) => (knnCorrect.get(k)! >= knnCorrect.get(best)! ? k : best), ks[0]!);
  const knnAccuracy = knnCorrect.get(bestK)! / n;
  const labelList = Array.from(labels);
  if (linearCorrect / n > knnAccuracy) {
    return {
      method: "linear",
      k: null,
      cvAccuracy: linearCorrect / n,
      candidates,
      probabilities: async (rows) => {
        const p = tf.tidy(() => tf.softmax(probe.logits(rows)));
        const out = (await p.data()) as Float32Array;
        p.dispose();
        return out;
      },
      dispose: () => probe.dispose(),
    };
  }
  probe.dispose();
  const reference = tf.clone(features);
  return {
    method: "knn",
    k: bestK,
    cvAccuracy: knnAccuracy,
    candidates,
    probabilities: async (rows) => knnProbabilities(knnVotes(await knnNeighbours(reference, rows, { k: bestK }), labelList, o.numClasses, bestK), o.numClasses),
    dispose: () => reference.dispose(),
  };
}
