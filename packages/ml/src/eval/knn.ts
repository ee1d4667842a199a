// k-nearest-neighbour classification of feature rows (raw pixels or an encoder's embeddings): the simplest
// classifier there is, used as a baseline and as a few-label head. Votes are weighted by similarity, so ties between
// classes go to the closer neighbours.
import { tf } from "../tf.js";
import { l2Normalize } from "../losses/ntXent.js";

export type KnnMetric = "cosine" | "euclidean";

/**
 * Class of each query row by its k nearest reference rows. Queries are processed in blocks so that the similarity
 * matrix never exceeds `blockSize` x references.
 */
export async function knnPredict(
  reference: tf.Tensor2D,
  referenceLabels: ArrayLike<number>,
  queries: tf.Tensor2D,
  o: { k: number; numClasses: number; metric?: KnnMetric; blockSize?: number },
): Promise<Int32Array> {
  const metric = o.metric ?? "cosine";
  const k = Math.max(1, Math.min(o.k, reference.shape[0]));
  const ref = tf.tidy(() => (metric === "cosine" ? l2Normalize(reference) : reference));
  const refSq = metric === "euclidean" ? tf.tidy(() => tf.expandDims(tf.sum(tf.square(ref), 1), 0)) : null;
  const out = new Int32Array(queries.shape[0]);
  const block = o.blockSize ?? 512;
  try {
    for (let start = 0; start < queries.shape[0]; start += block) {
      const n = Math.min(block, queries.shape[0] - start);
      const { values, indices } = tf.tidy(() => {
        const q = tf.slice(queries, [start, 0], [n, -1]) as tf.Tensor2D;
        // Euclidean: rank by -|q - r|^2 = 2 q.r - |r|^2 (|q|^2 is the same for every reference).
        const sim = metric === "cosine" ? tf.matMul(l2Normalize(q), ref, false, true) : tf.sub(tf.mul(2, tf.matMul(q, ref, false, true)), refSq!);
        return tf.topk(sim, k);
      });
      const idx = await indices.data();
      tf.dispose([values, indices]);
      for (let i = 0; i < n; i++) {
        const votes = new Float64Array(o.numClasses);
        // Weights: 1 + a tiny tie-breaker by rank, so the vote is a plain majority and the nearest settles ties.
        for (let j = 0; j < k; j++) votes[referenceLabels[idx[i * k + j]!]!]! += 1 + (k - j) * 1e-6;
        let best = 0;
        for (let c = 1; c < o.numClasses; c++) if (votes[c]! > votes[best]!) best = c;
        out[start + i] = best;
      }
    }
  } finally {
    if (ref !== reference) ref.dispose();
    refSq?.dispose();
  }
  return out;
}
