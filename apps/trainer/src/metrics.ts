// Metrics of a model on held-out human labels (the shape the api's model versions store): accuracy, accuracy per
// class, and the confusion matrix (rows: true class, columns: predicted class). For a pretrained encoder, which has
// no classifier yet, the same metrics come from a 1-nearest-neighbour classifier on its features (labelled training
// images as the reference set), the usual way to score a self-supervised representation.
import { l2Normalize, tf, type tfl } from "@fewlabel/ml";

export interface Metrics {
  accuracy: number;
  heldOut: number;
  perClass: { classId: string; accuracy: number | null; count: number }[];
  confusion: number[][];
  method: "classifier" | "knn";
  teacherAgreement?: number;
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
    perClass: classIds.map((classId, c) => {
      const count = confusion[c]!.reduce((s, v) => s + v, 0);
      return { classId, accuracy: count ? confusion[c]![c]! / count : null, count };
    }),
    confusion,
    method,
  };
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

/** 1-NN accuracy of an encoder's (L2-normalised) features: held-out images against the labelled training images. */
export async function knnMetrics(encoder: tfl.LayersModel, train: tf.Tensor4D, trainLabels: number[], test: tf.Tensor4D, testLabels: number[], classIds: string[]): Promise<Metrics> {
  const embed = (x: tf.Tensor4D) => tf.tidy(() => l2Normalize(encoder.apply(x, { training: false }) as tf.Tensor2D));
  const a = embed(train), b = embed(test);
  const nearest = tf.tidy(() => tf.argMax(tf.matMul(b, a, false, true), 1));
  const idx = (await nearest.data()) as Int32Array;
  tf.dispose([a, b, nearest]);
  return metricsOf(testLabels, Array.from(idx, (i) => trainLabels[i]!), classIds, "knn");
}
