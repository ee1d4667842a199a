// Scoring a model version on the held-out human labels, next to the baselines computed on the same training labels
// and the same held-out images (pixel kNN k=1/5, pixel logistic regression, kNN on a randomly initialised encoder of
// the version's architecture). Below `minHeldOut` held-out labels a version gets no metrics at all: an accuracy on a
// handful of labels says nothing and "0%" on one label misleads. Baselines depend only on the label sets and the
// input size, so they are computed once per set and reused by every version scored on it.
import { computeBaselines, tf, type tfl } from "@fewlabel/ml";
import { baselineSummary, knnMetrics, type Metrics, metricsOf, predict } from "./metrics";

export interface LabelledIds {
  ids: string[];
  /** Class index per id, in the version's class order. */
  labels: number[];
}

export interface ScoringSets {
  train: LabelledIds;
  heldOut: LabelledIds;
  channels: 1 | 3;
  classIds: string[];
  /** A fresh, randomly initialised encoder of the version's architecture (the random-encoder baseline; disposed here). */
  randomEncoder: () => tfl.LayersModel;
}

export class VersionScorer {
  private cache: { key: string; baselines: NonNullable<Metrics["baselines"]> } | null = null;

  constructor(
    /** The images of `ids` as the model's input [N, S, S, C] in [0, 1] (already loaded). */
    private readonly images: (ids: string[], channels: 1 | 3) => tf.Tensor4D,
    private readonly minHeldOut: number,
  ) {}

  /** Whether `heldOut` is large enough to report an accuracy. */
  enough(heldOut: LabelledIds): boolean {
    return heldOut.ids.length >= Math.max(1, this.minHeldOut);
  }

  /** A classifier's metrics (inference mode), or null with too few held-out labels. */
  async classifier(s: ScoringSets, logits: (x: tf.Tensor4D) => tf.Tensor2D, method: Metrics["method"] = "classifier"): Promise<Metrics | null> {
    if (!this.enough(s.heldOut)) return null;
    const x = this.images(s.heldOut.ids, s.channels);
    try {
      return await this.withBaselines(s, metricsOf(s.heldOut.labels, await predict(logits, x), s.classIds, method));
    } finally {
      x.dispose();
    }
  }

  /** A pretrained encoder's kNN metrics (k = 1 on its embeddings), or null with too few held-out labels. */
  async encoder(s: ScoringSets, encoder: tfl.LayersModel): Promise<Metrics | null> {
    if (!this.enough(s.heldOut) || s.train.ids.length === 0) return null;
    const a = this.images(s.train.ids, s.channels),
      b = this.images(s.heldOut.ids, s.channels);
    try {
      return await this.withBaselines(s, await knnMetrics(encoder, a, s.train.labels, b, s.heldOut.labels, s.classIds));
    } finally {
      tf.dispose([a, b]);
    }
  }

  private async withBaselines(s: ScoringSets, m: Metrics): Promise<Metrics> {
    return { ...m, trainLabels: s.train.ids.length, baselines: await this.baselines(s) };
  }

  /** The baselines on these sets (computed once per training set, held-out set and input). */
  async baselines(s: ScoringSets): Promise<NonNullable<Metrics["baselines"]>> {
    if (s.train.ids.length === 0) return [];
    const key = JSON.stringify([s.channels, s.classIds, s.train.ids, s.train.labels, s.heldOut.ids, s.heldOut.labels]);
    if (this.cache?.key === key) return this.cache.baselines;
    const train = this.images(s.train.ids, s.channels),
      test = this.images(s.heldOut.ids, s.channels);
    const randomEncoder = s.randomEncoder();
    try {
      const results = await computeBaselines({
        train: { images: train, labels: s.train.labels },
        test: { images: test, labels: s.heldOut.labels },
        numClasses: s.classIds.length,
        randomEncoder,
      });
      this.cache = { key, baselines: baselineSummary(results) };
      return this.cache.baselines;
    } finally {
      tf.dispose([train, test]);
      randomEncoder.dispose();
    }
  }
}
