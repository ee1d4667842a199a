// Pseudo-labelling: the fine-tuned teacher's class probabilities for every image, with the top class and its
// probability as confidence, for the review UI and for distillation.
import { tf } from "../tf.js";
import type { Classifier } from "./classifier.js";
import type { ImageSource } from "./imageSource.js";
import type { ProgressCallback } from "./runStage.js";

export interface PseudoLabels {
  numClasses: number;
  /** Row-major [count, numClasses]. */
  probabilities: Float32Array;
  labels: Int32Array;
  confidence: Float32Array;
}

export interface PseudoLabelOptions {
  classifier: Classifier;
  images: ImageSource;
  /** Which images to label; default all. */
  indices?: ArrayLike<number>;
  batchSize?: number;
  /** Softmax temperature (1 = plain probabilities). */
  temperature?: number;
  onProgress?: ProgressCallback;
}

export async function pseudoLabel(o: PseudoLabelOptions): Promise<PseudoLabels> {
  const ids = o.indices ?? Int32Array.from({ length: o.images.count }, (_, i) => i);
  const bs = o.batchSize ?? 256;
  const chunks: Float32Array[] = [];
  let numClasses = 0;
  const total = Math.ceil(ids.length / bs);
  const t0 = performance.now();
  for (let b = 0; b < total; b++) {
    const batch = Array.from({ length: Math.min(bs, ids.length - b * bs) }, (_, i) => ids[b * bs + i]!);
    const probs = tf.tidy(() => tf.softmax(tf.div(o.classifier.logits(o.images.get(batch), false), o.temperature ?? 1)));
    numClasses = probs.shape[1]!;
    chunks.push((await probs.data()) as Float32Array);
    probs.dispose();
    await o.onProgress?.({
      stage: "pseudolabel",
      step: b + 1,
      totalSteps: total,
      loss: 0,
      imagesPerSecond: ((b * bs + batch.length) * 1000) / (performance.now() - t0),
    });
  }
  const probabilities = new Float32Array(ids.length * numClasses);
  let off = 0;
  for (const c of chunks) {
    probabilities.set(c, off);
    off += c.length;
  }
  const labels = new Int32Array(ids.length),
    confidence = new Float32Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    let best = 0;
    for (let k = 1; k < numClasses; k++) if (probabilities[i * numClasses + k]! > probabilities[i * numClasses + best]!) best = k;
    labels[i] = best;
    confidence[i] = probabilities[i * numClasses + best]!;
  }
  return { numClasses, probabilities, labels, confidence };
}
