import { describe, expect, it, beforeAll } from "vitest";
import { createEncoder, encoderFeatures, predictRows, selectBackend, tensorImageSource, tf, trainLinearProbe } from "@fewlabel/ml";
import { preferLinearHead, trainLinearHead } from "./linear-head";

beforeAll(async () => {
  await selectBackend({ order: ["wasm"] });
});

describe("trainLinearHead", () => {
  it("folds the standardised probe into one dense layer that predicts what the probe predicts", async () => {
    const encoder = createEncoder({ inputSize: 28, channels: 1, widths: [4, 8], blocks: [1, 1], seed: 1 });
    const images = tf.randomUniform([40, 28, 28, 1], 0, 1, "float32", 2) as tf.Tensor4D;
    const labels = Array.from({ length: 40 }, (_, i) => i % 3);
    const head = await trainLinearHead({ encoder, images, labels, numClasses: 3, seed: 3, steps: 50 });
    const features = await encoderFeatures(encoder, tensorImageSource(images));
    const probe = await trainLinearProbe({ features, labels, numClasses: 3, steps: 50, batchSize: 40, learningRate: 0.01, weightDecay: 1 / 40, seed: 3 });
    const viaProbe = tf.tidy(() => probe.logits(features));
    const viaHead = tf.tidy(() => head.apply(features) as tf.Tensor2D);
    // Same logits up to float rounding: the fold is exact algebra.
    expect(tf.max(tf.abs(tf.sub(viaProbe, viaHead))).dataSync()[0]).toBeLessThan(1e-3);
    expect(Array.from(await predictRows((f) => head.apply(f) as tf.Tensor2D, features))).toEqual(Array.from(await predictRows(probe.logits, features)));
    tf.dispose([images, features, viaProbe, viaHead]);
    probe.dispose();
    head.dispose();
    encoder.dispose();
  });
});

describe("preferLinearHead", () => {
  it("replaces the fine-tuned network only when the linear head is better by more than the held-out labels' noise", () => {
    // 64 held-out labels: one standard error of the difference is about 7 points (bench run 16: a linear head read 53
    // of 64, was kept over the pair by a plain comparison, and scored 4.7 points below the pair before it on unseen images).
    expect(preferLinearHead({ accuracy: 53 / 64, heldOut: 64 }, { accuracy: 52 / 64, heldOut: 64 })).toBe(false);
    expect(preferLinearHead({ accuracy: 56 / 64, heldOut: 64 }, { accuracy: 52 / 64, heldOut: 64 })).toBe(false);
    expect(preferLinearHead({ accuracy: 60 / 64, heldOut: 64 }, { accuracy: 52 / 64, heldOut: 64 })).toBe(true);
    // Thousands of held-out labels: the 2-point floor decides.
    expect(preferLinearHead({ accuracy: 0.83, heldOut: 2000 }, { accuracy: 0.8, heldOut: 2000 })).toBe(true);
    expect(preferLinearHead({ accuracy: 0.815, heldOut: 2000 }, { accuracy: 0.8, heldOut: 2000 })).toBe(false);
    // Nothing to compare: the fine-tuned network.
    expect(preferLinearHead(null, { accuracy: 0.5, heldOut: 30 })).toBe(false);
    expect(preferLinearHead({ accuracy: 0.9, heldOut: 30 }, null)).toBe(false);
  });
});
