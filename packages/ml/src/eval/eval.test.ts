import { beforeAll, describe, expect, it } from "vitest";
import { tf } from "../tf.js";
import { selectBackend } from "../backend/select.js";
import { createEncoder } from "../models/resnet.js";
import { bestBaseline, computeBaselines, score } from "./baselines.js";
import { wilsonInterval } from "./interval.js";
import { knnNeighbours, knnPredict, knnVotes } from "./knn.js";
import { predictRows, trainLinearProbe } from "./linearProbe.js";

beforeAll(async () => {
  await selectBackend({ order: ["wasm"] });
});

describe("wilsonInterval", () => {
  it("matches hand values and stays in [0, 1]", () => {
    // 8 of 10 at 95%: 0.4902 .. 0.9433 (textbook value).
    const i = wilsonInterval(8, 10);
    expect(i.low).toBeCloseTo(0.4902, 3);
    expect(i.high).toBeCloseTo(0.9433, 3);
    expect(wilsonInterval(0, 5).low).toBe(0);
    expect(wilsonInterval(5, 5).high).toBe(1);
    // More evidence, a narrower interval.
    const wide = wilsonInterval(40, 47),
      narrow = wilsonInterval(850, 1000);
    expect(wide.high - wide.low).toBeGreaterThan(narrow.high - narrow.low);
  });
});

describe("knnPredict", () => {
  it("finds the nearest rows (cosine and euclidean) and votes by majority", async () => {
    const ref = tf.tensor2d([
      [1, 0],
      [0, 1],
      [0.9, 0.1],
      [10, 0],
    ]);
    const q = tf.tensor2d([
      [0.95, 0.05],
      [0, 2],
      [9, 0.5],
    ]);
    expect(Array.from(await knnPredict(ref, [0, 1, 0, 2], q, { k: 1, numClasses: 3 }))).toEqual([0, 1, 0]);
    expect(Array.from(await knnPredict(ref, [0, 1, 0, 2], q, { k: 1, numClasses: 3, metric: "euclidean" }))).toEqual([0, 1, 2]);
    // k = 3 euclidean for [9, 0.5]: neighbours 10 (class 2), [1,0] and [0.9,0.1] (class 0): majority 0.
    expect(Array.from(await knnPredict(ref, [0, 1, 0, 2], q, { k: 3, numClasses: 3, metric: "euclidean" }))[2]).toBe(0);
    tf.dispose([ref, q]);
  });
});

describe("knnNeighbours", () => {
  it("lists neighbours nearest first, and leaves a row out of its own list when asked", async () => {
    const rows = tf.tensor2d([[0], [1], [3], [7]]);
    const all = await knnNeighbours(rows, rows, { k: 2, metric: "euclidean" });
    expect(Array.from(all.indices)).toEqual([0, 1, 1, 0, 2, 1, 3, 2]);
    const loo = await knnNeighbours(rows, rows, { k: 2, metric: "euclidean", excludeSelf: true, blockSize: 3 });
    expect(Array.from(loo.indices)).toEqual([1, 2, 0, 2, 1, 0, 2, 1]);
    // k is capped at the rows there are (one fewer when leaving one out).
    expect((await knnNeighbours(rows, rows, { k: 9, excludeSelf: true, metric: "euclidean" })).k).toBe(3);
    // Votes of the nearest k: row 3's two nearest are rows 2 and 1 (classes 1 and 0): a tie the nearer settles.
    const votes = knnVotes(loo, [0, 0, 1, 1], 2);
    expect(votes[6]! + votes[7]!).toBeCloseTo(2, 4);
    expect(votes[7]!).toBeGreaterThan(votes[6]!);
    expect(Array.from(knnVotes(loo, [0, 0, 1, 1], 2, 1)).map(Math.round)).toEqual([1, 0, 1, 0, 1, 0, 0, 1]);
    rows.dispose();
  });
});

describe("trainLinearProbe", () => {
  it("separates linearly separable classes", async () => {
    const x = tf.tensor2d([
      [0, 0],
      [0.1, 0.2],
      [1, 1],
      [0.9, 1.1],
      [2, 0],
      [2.1, 0.1],
    ]);
    const probe = await trainLinearProbe({ features: x, labels: [0, 0, 1, 1, 2, 2], numClasses: 3, steps: 300, batchSize: 6, learningRate: 0.05, seed: 1 });
    expect(Array.from(await predictRows(probe.logits, x))).toEqual([0, 0, 1, 1, 2, 2]);
    probe.dispose();
    x.dispose();
  });
});

describe("trainLinearProbe, full batch", () => {
  it("follows the plain gradient of the L2-penalised cross-entropy (its product's gradient reads a transposed copy)", async () => {
    const features = tf.randomNormal([40, 6], 0, 1, "float32", 5) as tf.Tensor2D;
    const labels = Array.from({ length: 40 }, (_, i) => i % 3);
    const probe = await trainLinearProbe({ features, labels, numClasses: 3, steps: 5, batchSize: 40, learningRate: 0.05, weightDecay: 0.1, seed: 2 });
    // The same five Adam steps written with plain autodiff.
    const initial = tf.randomNormal([6, 3], 0, Math.sqrt(1 / 6), "float32", 2);
    const w = tf.variable(initial.clone()),
      b = tf.variable(tf.zeros([3]));
    const { mean, variance } = tf.moments(features, 0);
    const x = tf.mul(tf.sub(features, mean), tf.rsqrt(tf.add(variance, 1e-6)));
    const optimizer = tf.train.adam(0.05);
    for (let k = 0; k < 5; k++) {
      optimizer.minimize(
        () => {
          const logits = tf.add(tf.matMul(x, w), b);
          const ce = tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(tf.tensor1d(labels, "int32"), 3), tf.logSoftmax(logits)), 1)));
          return tf.add(ce, tf.mul(0.05, tf.sum(tf.square(w)))) as tf.Scalar;
        },
        false,
        [w, b],
      );
    }
    const got = await probe.weights.kernel.data(),
      want = await w.data();
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i]!, 5);
    const start = await initial.data();
    expect(Math.max(...Array.from(want, (v, i) => Math.abs(v - start[i]!)))).toBeGreaterThan(0.01); // it moved
    probe.dispose();
    tf.dispose([features, initial, w, b, x, mean, variance]);
    optimizer.dispose();
  });
});

describe("computeBaselines", () => {
  it("scores every baseline on the same held-out images, and finds the best", async () => {
    // Two classes of 8x8 images: a bright left half or a bright right half, with noise.
    const make = (n: number, seed: number) => {
      const labels = Array.from({ length: n }, (_, i) => i % 2);
      const images = tf.tidy(() => {
        const left = tf.concat([tf.ones([1, 8, 4, 1]), tf.zeros([1, 8, 4, 1])], 2);
        const right = tf.reverse(left, 2);
        const base = tf.concat(
          labels.map((l) => (l === 0 ? left : right)),
          0,
        );
        return tf.clipByValue(tf.add(base, tf.randomUniform([n, 8, 8, 1], -0.4, 0.4, "float32", seed)), 0, 1) as tf.Tensor4D;
      });
      return { images, labels };
    };
    const train = make(20, 1),
      test = make(30, 2);
    const randomEncoder = createEncoder({ inputSize: 28, channels: 1, widths: [4], blocks: [1], seed: 3 });
    // The encoder takes 28 px: give it resized copies (the pixel baselines use the 8 px originals).
    const big = (s: typeof train) => ({ images: tf.image.resizeBilinear(s.images, [28, 28]) as tf.Tensor4D, labels: s.labels });
    const announced: string[] = [];
    const results = await computeBaselines({ train: big(train), test: big(test), numClasses: 2, randomEncoder, onResult: (r) => void announced.push(r.name) });
    expect(results.map((r) => r.name)).toEqual(["pixel-1nn", "pixel-5nn", "pixel-linear", "random-encoder-knn"]);
    expect(announced).toEqual(results.map((r) => r.name));

    for (const r of results) {
      expect(r.total).toBe(30);
      expect(r.interval.low).toBeLessThanOrEqual(r.accuracy);
      expect(r.interval.high).toBeGreaterThanOrEqual(r.accuracy);
    }
    // The task is easy for pixels: every pixel baseline is right on (nearly) every image.
    expect(results.find((r) => r.name === "pixel-1nn")!.accuracy).toBeGreaterThan(0.9);
    expect(results.find((r) => r.name === "pixel-linear")!.accuracy).toBeGreaterThan(0.9);
    expect(bestBaseline(results)!.accuracy).toBe(Math.max(...results.map((r) => r.accuracy)));
    expect(score([1, 2, 3], [1, 0, 3]).correct).toBe(2);
    randomEncoder.dispose();
  });

  it("answers k = 1 and k = 5 from one neighbour search exactly as knnPredict does with each k", async () => {
    // Noise images with arbitrary labels: the two k disagree on many test images.
    const images = (n: number, seed: number) => tf.randomUniform([n, 6, 6, 1], 0, 1, "float32", seed) as tf.Tensor4D;
    const labels = (n: number, seed: number) => Array.from({ length: n }, (_, i) => (i * 7 + seed) % 3);
    const train = { images: images(60, 11), labels: labels(60, 1) },
      test = { images: images(80, 12), labels: labels(80, 2) };
    const results = await computeBaselines({ train, test, numClasses: 3 });
    const rows = (x: tf.Tensor4D) => tf.reshape(x, [x.shape[0], -1]) as tf.Tensor2D;
    const alone = async (k: number) => score(test.labels, await knnPredict(rows(train.images), train.labels, rows(test.images), { k, numClasses: 3, metric: "euclidean" })).correct;
    const one = await alone(1),
      five = await alone(5);
    expect(one).not.toBe(five); // the data tells the two k apart, so a swap would show
    expect(results.find((r) => r.name === "pixel-1nn")!.correct).toBe(one);
    expect(results.find((r) => r.name === "pixel-5nn")!.correct).toBe(five);
    tf.dispose([train.images, test.images]);
  });
});
