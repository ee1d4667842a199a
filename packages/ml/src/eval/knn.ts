// k-nearest-neighbour classification of feature rows (raw pixels or an encoder's embeddings): the simplest
// classifier there is, used as a baseline and as a few-label head. Votes are a plain majority; ties between classes
// go to the closer neighbours.
import { tf } from "../tf.js";
import { l2Normalize } from "../losses/ntXent.js";

export type KnnMetric = "cosine" | "euclidean";

/**
 * The k nearest reference rows of each query row, nearest first: row i's neighbours are `[i * k, (i + 1) * k)` of
 * the result (k capped at the reference count). Queries are processed in blocks so that the similarity matrix never
 * exceeds `blockSize` x references (memory: the references twice, as given and transposed, and a few such blocks).
 * With `excludeSelf`, queries are the reference rows themselves and a row is not its own neighbour (leave-one-out).
 */
export async function knnNeighbours(
  reference: tf.Tensor2D,
  queries: tf.Tensor2D,
  o: { k: number; metric?: KnnMetric; blockSize?: number; excludeSelf?: boolean },
): Promise<{ indices: Int32Array; k: number }> {
  const metric = o.metric ?? "cosine";
  const k = Math.max(1, Math.min(o.k, reference.shape[0] - (o.excludeSelf ? 1 : 0)));
  // The references transposed once, [d, n]: on the wasm backend a product with a transposed operand runs ~8x
  // slower than with a plain one (256 x 784 by 60,000 x 784: 13.5 s against 1.7 s), and the plain operand, the same
  // tensor for every block, is packed for XNNPACK once.
  const refT = tf.tidy(() => tf.transpose(metric === "cosine" ? l2Normalize(reference) : reference) as tf.Tensor2D);
  const refSq = metric === "euclidean" ? tf.tidy(() => tf.expandDims(tf.sum(tf.square(reference), 1), 0)) : null;
  const out = new Int32Array(queries.shape[0] * k);
  const block = o.blockSize ?? 512;
  try {
    for (let start = 0; start < queries.shape[0]; start += block) {
      const n = Math.min(block, queries.shape[0] - start);
      const { values, indices } = tf.tidy(() => {
        const q = tf.slice(queries, [start, 0], [n, -1]) as tf.Tensor2D;
        // Euclidean: rank by -|q - r|^2 = 2 q.r - |r|^2 (|q|^2 is the same for every reference).
        let sim = metric === "cosine" ? tf.matMul(l2Normalize(q), refT) : tf.sub(tf.mul(2, tf.matMul(q, refT)), refSq!);
        // Leave-one-out: query row start + i is reference row start + i; push it below every other row.
        if (o.excludeSelf) sim = tf.sub(sim, tf.mul(tf.oneHot(tf.range(start, start + n, 1, "int32"), reference.shape[0]), 1e30));
        return tf.topk(sim, k);
      });
      out.set(await indices.data(), start * k);
      tf.dispose([values, indices]);
    }
  } finally {
    refT.dispose();
    refSq?.dispose();
  }
  return { indices: out, k };
}

/**
 * The class votes of each query row's nearest `k` neighbours (k at most the neighbour lists' length), as counts
 * [rows x numClasses] plus a tiny tie-breaker by rank, so the argmax is a plain majority and the nearest settles ties.
 */
export function knnVotes(neighbours: { indices: Int32Array; k: number }, referenceLabels: ArrayLike<number>, numClasses: number, k = neighbours.k): Float64Array {
  const rows = neighbours.indices.length / neighbours.k;
  const use = Math.min(k, neighbours.k);
  const votes = new Float64Array(rows * numClasses);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < use; j++) votes[i * numClasses + referenceLabels[neighbours.indices[i * neighbours.k + j]!]!]! += 1 + (use - j) * 1e-6;
  }
  return votes;
}

/** The argmax class of each row of a [rows x numClasses] score matrix. */
export function argmaxRows(scores: ArrayLike<number>, numClasses: number): Int32Array {
  const out = new Int32Array(scores.length / numClasses);
  for (let i = 0; i < out.length; i++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (scores[i * numClasses + c]! > scores[i * numClasses + best]!) best = c;
    out[i] = best;
  }
  return out;
}

/** Class of each query row by its k nearest reference rows. */
export async function knnPredict(
  reference: tf.Tensor2D,
  referenceLabels: ArrayLike<number>,
  queries: tf.Tensor2D,
  o: { k: number; numClasses: number; metric?: KnnMetric; blockSize?: number },
): Promise<Int32Array> {
  const neighbours = await knnNeighbours(reference, queries, o);
  return argmaxRows(knnVotes(neighbours, referenceLabels, o.numClasses), o.numClasses);
}
