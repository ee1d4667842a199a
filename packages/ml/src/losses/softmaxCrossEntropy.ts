// The classification loss of fine-tuning, distillation (soft targets) and linear probes.
import { tf } from "../tf.js";

/** Mean softmax cross-entropy of logits against integer labels or target distributions. */
export function softmaxCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D | tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const probs = targets.rank === 1 ? tf.oneHot(tf.cast(targets, "int32"), logits.shape[1]) : targets;
    const logp = tf.sub(logits, tf.logSumExp(logits, 1, true));
    return tf.neg(tf.mean(tf.sum(tf.mul(probs, logp), 1))) as tf.Scalar;
  });
}
