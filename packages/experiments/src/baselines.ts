// The trivial methods every arm stands next to (the project's non-negotiable, issue 12): kNN (k = 1, 5) and logistic
// regression on raw pixels, and kNN on a randomly initialised encoder of the arms' architecture (the very weights the
// SimCLR encoder and the supervised arms start from), each trained on exactly the labelled subset the arms at a
// fraction use and scored on the same test images. @fewlabel/ml's computeBaselines does the work; this module picks
// the images and the encoder, and times each.
import { computeBaselines, createEncoder, tf, type EncoderConfig, type tfl } from "@fewlabel/ml";
import { derivedSeeds, type ExperimentConfig } from "./config";
import type { ExperimentData } from "./protocol";
import type { BaselineScore, FractionBaselines } from "./report/types";

/** The encoder every arm builds (and the random encoder of the baselines), with its seeded initialisation. */
export function encoderConfigOf(config: ExperimentConfig): EncoderConfig {
  return { inputSize: config.inputSize, channels: config.channels, ...config.encoder, seed: derivedSeeds(config.seed).encoderInit };
}

export const randomEncoderOf = (config: ExperimentConfig): tfl.LayersModel => createEncoder(encoderConfigOf(config));

export interface FractionBaselinesOptions {
  task: string;
  labelFraction: number;
  data: ExperimentData;
  /** The arms' labelled subset at this fraction (armLabelSubset). */
  subset: { indices: Int32Array; labels: Int32Array };
  randomEncoder: tfl.LayersModel;
  /** The pixel logistic regression's seed. */
  seed: number;
  backend: string;
  signal?: AbortSignal;
  /** Each baseline as it is scored (step 1..totalSteps). */
  onScore?: (score: BaselineScore, step: number) => void | Promise<void>;
}

export async function fractionBaselines(o: FractionBaselinesOptions): Promise<FractionBaselines> {
  const t0 = performance.now();
  const trainImages = o.data.train.images;
  // Every training image labelled and all used: the tensor itself, not a copy (188 MB at 60,000 images).
  const all = o.subset.indices.length === trainImages.shape[0] && o.subset.indices.every((v, i) => v === i);
  const images = all ? trainImages : (tf.tidy(() => tf.gather(trainImages, tf.tensor1d(o.subset.indices, "int32"))) as tf.Tensor4D);
  const scores: BaselineScore[] = [];
  let last = t0;
  try {
    await computeBaselines({
      train: { images, labels: o.subset.labels },
      test: { images: o.data.test.images, labels: o.data.test.labels },
      numClasses: o.data.classes.length,
      randomEncoder: o.randomEncoder,
      seed: o.seed,
      onResult: async (r) => {
        const now = performance.now();
        const score: BaselineScore = { name: r.name, testAccuracy: r.accuracy, correct: r.correct, total: r.total, interval: r.interval, seconds: (now - last) / 1000 };
        last = now;
        scores.push(score);
        await o.onScore?.(score, scores.length);
        if (o.signal?.aborted) throw new Error(`${o.task} aborted`);
      },
    });
  } finally {
    if (images !== trainImages) images.dispose();
  }
  return { task: o.task, labelFraction: o.labelFraction, labelsUsed: o.subset.indices.length, scores, seconds: (performance.now() - t0) / 1000, backend: o.backend };
}
