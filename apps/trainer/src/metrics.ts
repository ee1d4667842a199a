// Metrics of a model on held-out human labels (the shape the api's model versions store): accuracy with its 95%
// Wilson interval, accuracy per class, the confusion matrix (rows: true class, columns: predicted class), and the
// baselines on the same training labels and the same held-out images (issue 12: an accuracy stands next to what
// trivial methods get). For a pretrained encoder, which has no classifier yet, the same metrics come from a
// nearest-neighbour classifier on its features (labelled training images as the reference set), the usual way to
// score a self-supervised representation.
import { type BaselineResult, knnPredict, l2Normalize, tf, type tfl, wilsonInterval } from "@fewlabel/ml";

export interface Metrics {
  accuracy: number;
  heldOut: number;
  interval: { low: number; high: number };
  perClass: { classId: string; accuracy: number | null; count: number }[];
  confusion: number[][];
  method: "classifier" | "knn" | "linear";
  teacherAgreement?: number;
  baselines?: { name: BaselineResult["name"]; accuracy: number; interval: { low: number; high: number } }[];
  trainLabels?: number;
  head?: { chosen: string; candidates: { name: string; accuracy: number }[] };
}

export function metricsOf(truth: ArrayLike<number>, predicted: ArrayLike<number>, classIds: string[], method: Metrics["method"] = "classifier"): Metrics {
  const k = classIds.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  for (let i = 0; i < truth.length; i++) {
    confusion[truth[i]!]![predicted[i]!]!++;
    if (truth[i] === predicted[i]) correct++;
  }
  return {
    accuracy: truth.length ? correct / truth.length : 0,
    heldOut: truth.length,
    interval: wilsonInterval(correct, truth.length),
    perClass: classIds.map((classId, c) => {
      const count = confusion[c]!.reduce((s, v) => s + v, 0);
      return { classId, accuracy: count ? confusion[c]![c]! / count : null, count };
    }),
    confusion,
    method,
  };
}

/** The baselines as a version's metrics carry them. */
export function baselineSummary(results: BaselineResult[]): NonNullable<Metrics["baselines"]> {
  return results.map((r) => ({ name: r.name, accuracy: r.accuracy, interval: r.interval }));
}

/** Predicted class of each image in batches (inference mode). */
export async function predict(logits: (x: tf.Tensor4D) => tf.Tensor2D, images: tf.Tensor4D, batchSize = 256): Promise<Int32Array> {
  const out = new Int32Array(images.shape[0]);
  for (let start = 0; start < images.shape[0]; start += batchSize) {
    const n = Math.min(batchSize, images.shape[0] - start);
    const top = tf.tidy(() => tf.argMax(logits(tf.slice(images, [start, 0, 0, 0], [n, -1, -1, -1]) as tf.Tensor4D), 1));
    out.set((await top.data()) as Int32Array, start);
    top.dispose();
  }
  return out;
}

/** An encoder's L2-normalised embeddings of images, in batches (inference mode). */
export async function embed(encoder: tfl.LayersModel, images: tf.Tensor4D, batchSize = 256): Promise<tf.Tensor2D> {
  const parts: tf.Tensor2D[] = [];
  for (let start = 0; start < images.shape[0]; start += batchSize) {
    const n = Math.min(batchSize, images.shape[0] - start);
    parts.push(tf.tidy(() => l2Normalize(encoder.apply(tf.slice(images, [start, 0, 0, 0], [n, -1, -1, -1]), { training: false }) as tf.Tensor2D)));
    await new Promise((r) => setTimeout(r, 0));
  }
  const all = tf.concat(parts, 0) as tf.Tensor2D;
  tf.dispose(parts);
  return all;
}

/** kNN accuracy of an encoder's features: held-out images against the labelled training images. */
export async function knnMetrics(encoder: tfl.LayersModel, train: tf.Tensor4D, trainLabels: number[], test: tf.Tensor4D, testLabels: number[], classIds: string[], k = 1): Promise<Metrics> {
  const a = await embed(encoder, train),
    b = await embed(encoder, test);
  try {
    return metricsOf(testLabels, await knnPredict(a, trainLabels, b, { k, numClasses: classIds.length }), classIds, "knn");
  } finally {
    tf.dispose([a, b]);
  }
}
