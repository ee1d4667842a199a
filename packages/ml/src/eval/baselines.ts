// The simplest methods every accuracy the product shows stands next to (issue 12): kNN (k = 1, 5) and a linear
// classifier on raw pixels, and kNN on a randomly initialised encoder, trained on the same labels and scored on the
// same held-out images as the model they accompany. A model that loses to them has learned nothing worth serving.
import { tf, type tfl } from "../tf.js";
import { tensorImageSource } from "../stages/imageSource.js";
import { encoderFeatures, pixelRows } from "./features.js";
import { wilsonInterval, type Interval } from "./interval.js";
import { argmaxRows, knnNeighbours, knnPredict, knnVotes } from "./knn.js";
import { predictRows, trainLinearProbe } from "./linearProbe.js";

export const BASELINE_NAMES = ["pixel-1nn", "pixel-5nn", "pixel-linear", "random-encoder-knn"] as const;
export type BaselineName = (typeof BASELINE_NAMES)[number];

export interface Scored {
  accuracy: number;
  correct: number;
  total: number;
  interval: Interval;
}
export interface BaselineResult extends Scored {
  name: BaselineName;
}

export function score(truth: ArrayLike<number>, predicted: ArrayLike<number>): Scored {
  let correct = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] === predicted[i]) correct++;
  const total = truth.length;
  return { accuracy: total ? correct / total : 0, correct, total, interval: wilsonInterval(correct, total) };
}

export interface LabelledImages {
  /** NHWC in [0, 1]. */
  images: tf.Tensor4D;
  labels: ArrayLike<number>;
}

/**
 * Logistic regression on raw pixels as commonly run (L2-regularised, standardised inputs, full batch). The penalty
 * is scaled by the row count, as sklearn's C = 1 is.
 */
export async function pixelLinearPredict(train: LabelledImages, test: tf.Tensor4D, numClasses: number, seed = 1): Promise<Int32Array> {
  const a = pixelRows(train.images),
    b = pixelRows(test);
  const probe = await trainLinearProbe({
    features: a,
    labels: train.labels,
    numClasses,
    steps: 300,
    batchSize: a.shape[0],
    learningRate: 0.01,
    weightDecay: 1 / Math.max(1, a.shape[0]),
    seed,
  });
  try {
    return await predictRows(probe.logits, b);
  } finally {
    probe.dispose();
    tf.dispose([a, b]);
  }
}

export interface BaselineOptions {
  train: LabelledImages;
  test: LabelledImages;
  numClasses: number;
  /** An encoder of the model's architecture with its initial (random) weights; omitted: that baseline is skipped. */
  randomEncoder?: tfl.LayersModel;
  seed?: number;
  /** Called as each baseline is scored, in order (progress; a throw stops the rest). */
  onResult?: (r: BaselineResult) => void | Promise<void>;
}

/**
 * Every baseline on the same training labels and held-out images. Memory stays bounded whatever the counts: the
 * kNN scores the queries in blocks (a block's distances to every training row at a time), and one neighbour search
 * serves k = 1 and k = 5 (the nearest of the five is the nearest neighbour), which halves the largest cost (60,000
 * training by 10,000 test images of 784 pixels is 0.9 TFLOP a search).
 */
export async function computeBaselines(o: BaselineOptions): Promise<BaselineResult[]> {
  const { numClasses } = o;
  const out: BaselineResult[] = [];
  const done = async (r: BaselineResult) => {
    out.push(r);
    await o.onResult?.(r);
  };
  const a = pixelRows(o.train.images),
    b = pixelRows(o.test.images);
  try {
    const neighbours = await knnNeighbours(a, b, { k: 5, metric: "euclidean" });
    for (const k of [1, 5] as const) {
      const predicted = argmaxRows(knnVotes(neighbours, o.train.labels, numClasses, k), numClasses);
      await done({ name: k === 1 ? "pixel-1nn" : "pixel-5nn", ...score(o.test.labels, predicted) });
    }
  } finally {
    tf.dispose([a, b]);
  }
  await done({ name: "pixel-linear", ...score(o.test.labels, await pixelLinearPredict(o.train, o.test.images, numClasses, o.seed)) });
  if (o.randomEncoder) {
    const fa = await encoderFeatures(o.randomEncoder, tensorImageSource(o.train.images));
    const fb = await encoderFeatures(o.randomEncoder, tensorImageSource(o.test.images));
    let predicted: Int32Array;
    try {
      predicted = await knnPredict(fa, o.train.labels, fb, { k: 1, numClasses });
    } finally {
      tf.dispose([fa, fb]);
    }
    await done({ name: "random-encoder-knn", ...score(o.test.labels, predicted) });
  }
  return out;
}

/** The strongest baseline, or null when there is none. */
export function bestBaseline(results: BaselineResult[]): BaselineResult | null {
  return results.reduce<BaselineResult | null>((best, r) => (!best || r.accuracy > best.accuracy ? r : best), null);
}
