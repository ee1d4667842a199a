// NT-Xent (normalised temperature-scaled cross entropy), the SimCLR contrastive loss.
// For 2N embeddings (z1[i], z2[i] two views of image i), each one's positive is its partner and the other
// 2N - 2 embeddings are negatives:  loss = mean_k [ -s(k, pos(k)) / T + log sum_{j != k} exp(s(k, j) / T) ],
// s = cosine similarity. Written without gather/one-hot (positives are a row-wise dot product) so its
// gradient needs only elementwise ops, matMul and reductions on every backend.
import { tf } from "../tf.js";

export function l2Normalize(z: tf.Tensor2D, eps = 1e-12): tf.Tensor2D {
  return tf.tidy(() => tf.div(z, tf.sqrt(tf.maximum(tf.sum(tf.square(z), 1, true), eps))) as tf.Tensor2D);
}

/** NT-Xent over two batches of embeddings [N, D] (unnormalised). Returns a scalar. */
export function ntXentLoss(z1: tf.Tensor2D, z2: tf.Tensor2D, temperature = 0.5): tf.Scalar {
  return tf.tidy(() => {
    const n = z1.shape[0];
    const z = l2Normalize(tf.concat([z1, z2], 0) as tf.Tensor2D);
    const logits = tf.div(tf.matMul(z, z, false, true), temperature);
    // Exclude self-similarity: a large negative on the diagonal (a constant, so no gradient flows through it).
    const masked = tf.sub(logits, tf.mul(tf.eye(2 * n), 1e9));
    const lse = tf.logSumExp(masked, 1);
    const [a, b] = tf.split(z, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
    const pos = tf.div(tf.sum(tf.mul(a, b), 1), temperature); // s(i, i+N) = s(i+N, i)
    return tf.sub(tf.mean(lse), tf.mean(pos)) as tf.Scalar;
  });
}
