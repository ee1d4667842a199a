// The quick head on real data (Fashion-MNIST pixels as the feature rows: 20 labels a class, 1,000 test images) and on
// two made-up problems where one candidate must lose, so a wrong choice fails the test.
import { fashionMnistAvailable, FASHION_MNIST_DIR, loadFashionMnist } from "@fewlabel/datasets";
import { selectBackend, tf } from "@fewlabel/ml";
import { mulberry32 } from "@fewlabel/ml/random";
import { beforeAll, describe, expect, it } from "vitest";
import { chooseQuickHead, cvStandardError, fitQuickHead, knnProbabilities, stratifiedFolds } from "./quick-head";

// Under CI the dataset must be there: a missing one fails (loadFashionMnist throws) instead of skipping.
const available = fashionMnistAvailable() || !!process.env.CI;
if (!available) console.warn(`quick head test on Fashion-MNIST: SKIPPED, Fashion-MNIST not found in ${FASHION_MNIST_DIR} (apt-get install -y dataset-fashion-mnist)`);

beforeAll(async () => {
  await selectBackend({ order: ["wasm"] });
});

const argmax = (p: Float32Array, numClasses: number) =>
  Array.from({ length: p.length / numClasses }, (_, i) => {
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (p[i * numClasses + c]! > p[i * numClasses + best]!) best = c;
    return best;
  });

/** Rows of `dim` features drawn by `row(label, random)`, `perClass` rows of each class, classes interleaved. */
function made(numClasses: number, perClass: number, dim: number, seed: number, row: (label: number, random: () => number) => number[]) {
  const random = mulberry32(seed);
  const labels: number[] = [],
    values: number[] = [];
  for (let i = 0; i < perClass; i++)
    for (let c = 0; c < numClasses; c++) {
      labels.push(c);
      values.push(...row(c, random));
    }
  return { features: tf.tensor2d(values, [labels.length, dim]), labels };
}
const gauss = (random: () => number) => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());

describe("the quick head", () => {
  it("deals stratified folds and smooths kNN votes into probabilities", () => {
    expect(Array.from(stratifiedFolds([0, 1, 0, 1, 0, 1, 2], 3))).toEqual([0, 0, 1, 1, 2, 2, 0]);
    const p = knnProbabilities(new Float64Array([5, 0, 0, 1, 0, 0]), 3);
    expect(p[0]).toBeCloseTo((5 + 1 / 3) / 6, 6);
    expect(p[1]).toBeCloseTo(1 / 3 / 6, 6);
    // One neighbour is weaker evidence than five.
    expect(p[3]).toBeLessThan(p[0]!);
    expect(p[3]! + p[4]! + p[5]!).toBeCloseTo(1, 6);
  });

  it("picks kNN where classes are not linearly separable (XOR), and the linear probe where distances drown in noise", async () => {
    // XOR of the signs: no line separates it, neighbours do.
    const xor = made(2, 30, 2, 1, (c, r) => {
      const q = r() < 0.5 ? 1 : -1;
      return [q * (0.5 + r()), (c === 0 ? q : -q) * (0.5 + r())];
    });
    const a = await fitQuickHead(xor.features, xor.labels, { numClasses: 2, seed: 1 });
    expect(a.method).toBe("knn");
    expect(a.cvAccuracy).toBeGreaterThan(0.9);
    expect(a.candidates.find((c) => c.name === "linear")!.cvAccuracy).toBeLessThan(0.75);
    a.dispose();
    // One informative feature among 10 loud noise features: distances see the noise, a standardised probe the signal.
    const noisy = made(2, 40, 11, 2, (c, r) => [(c === 0 ? -1 : 1) + 0.3 * gauss(r), ...Array.from({ length: 10 }, () => 3 * gauss(r))]);
    const b = await fitQuickHead(noisy.features, noisy.labels, { numClasses: 2, seed: 1 });
    expect(b.method).toBe("linear");
    expect(b.cvAccuracy).toBeGreaterThan(0.9);
    expect(Math.max(...b.candidates.filter((c) => c.name.startsWith("knn")).map((c) => c.cvAccuracy))).toBeLessThan(0.8);
    b.dispose();
    tf.dispose([xor.features, noisy.features]);
  });

  it("keeps the first feature rows (pixels) unless a later set (embeddings) cross-validates better beyond the noise, and refits only the kept set", async () => {
    // The same 3 classes of rows twice: once as separable clusters, once as noise that carries no class.
    const signal = made(3, 12, 4, 3, (c, r) => [c === 0 ? 2 : 0, c === 1 ? 2 : 0, c === 2 ? 2 : 0, 0].map((v) => v + 0.3 * gauss(r)));
    const noise = made(3, 12, 4, 4, (_c, r) => Array.from({ length: 4 }, () => gauss(r)));
    const labels = signal.labels;
    const a = await chooseQuickHead(
      [
        { features: "pixels", rows: signal.features },
        { features: "encoder", rows: noise.features },
      ],
      labels,
      { numClasses: 3, seed: 1 },
    );
    expect(a.features).toBe("pixels");
    expect(a.cvAccuracy).toBeGreaterThan(0.9);
    // Every candidate of both sets is listed, by set; the encoder's are near chance here.
    expect(a.candidates.map((c) => c.name)).toEqual(expect.arrayContaining(["encoder:knn-1", "encoder:linear", "pixels:knn-1", "pixels:linear"]));
    expect(Math.max(...a.candidates.filter((c) => c.name.startsWith("encoder:")).map((c) => c.cvAccuracy))).toBeLessThan(0.7);
    // Embeddings far better than the pixels replace them.
    const b = await chooseQuickHead(
      [
        { features: "pixels", rows: noise.features },
        { features: "encoder", rows: signal.features },
      ],
      labels,
      { numClasses: 3, seed: 1 },
    );
    expect(b.features).toBe("encoder");
    // Equal sets: the first is kept.
    const c = await chooseQuickHead(
      [
        { features: "pixels", rows: signal.features },
        { features: "encoder", rows: signal.features },
      ],
      labels,
      { numClasses: 3, seed: 1 },
    );
    expect(c.features).toBe("pixels");
    // The noise a later set must beat: one label in 16 is within it, a tenth of a thousand is not.
    expect(cvStandardError(14 / 16, 15 / 16, 16)).toBeGreaterThan(1 / 16);
    expect(cvStandardError(0.85, 0.95, 1000)).toBeLessThan(0.02);
    // A kept choice reads only its own rows: the other set may be anything, even of another width.
    const odd = tf.zeros([labels.length, 7]) as tf.Tensor2D;
    const kept = await chooseQuickHead(
      [
        { features: "pixels", rows: signal.features },
        { features: "encoder", rows: odd },
      ],
      labels,
      { numClasses: 3, seed: 1, choice: a },
    );
    expect(kept).toMatchObject({ features: "pixels", method: a.method, k: a.k });
    const p = await kept.probabilities(signal.features);
    expect(argmax(p, 3).filter((v, i) => v === labels[i]).length / labels.length).toBeGreaterThan(0.9);
    [a, b, c, kept].forEach((h) => h.dispose());
    tf.dispose([signal.features, noise.features, odd]);
  });

  it.skipIf(!available)("labels Fashion-MNIST far above chance from 20 labels a class, the same way every time", { timeout: 60_000 }, async () => {
    const train = loadFashionMnist("train", { limit: 1000 }),
      test = loadFashionMnist("test", { limit: 1000 });
    const perClass = new Map<number, number[]>();
    for (let i = 0; i < train.count; i++) {
      const list = perClass.get(train.labels[i]!) ?? [];
      if (list.length < 20) list.push(i);
      perClass.set(train.labels[i]!, list);
    }
    const picked = [...perClass.values()].flat().sort((x, y) => x - y);
    const rows = (set: typeof train, idx: number[]) =>
      tf.tidy(
        () =>
          tf.div(
            tf.tensor2d(
              idx.flatMap((i) => Array.from(set.pixels.subarray(i * 784, (i + 1) * 784))),
              [idx.length, 784],
            ),
            255,
          ) as tf.Tensor2D,
      );
    const features = rows(train, picked),
      queries = rows(
        test,
        Array.from({ length: test.count }, (_, i) => i),
      );
    const labels = picked.map((i) => train.labels[i]!);
    const t0 = performance.now();
    const head = await fitQuickHead(features, labels, { numClasses: 10, seed: 1 });
    const probabilities = await head.probabilities(queries);
    const ms = performance.now() - t0;
    const predicted = argmax(probabilities, 10);
    const accuracy = predicted.filter((p, i) => p === test.labels[i]).length / test.count;
    console.log(
      `quick head on Fashion-MNIST pixels, 200 labels: ${head.method}${head.k ? ` k=${head.k}` : ""}, cv ${(head.cvAccuracy * 100).toFixed(1)}%, test ${(accuracy * 100).toFixed(1)}% on ${test.count}, ${ms.toFixed(0)} ms (${head.candidates.map((c) => `${c.name} ${(c.cvAccuracy * 100).toFixed(0)}%`).join(", ")})`,
    );
    // Chance is 10%; pixel 1-NN with 30 labels a class is about 72%.
    expect(accuracy).toBeGreaterThan(0.6);
    // kNN serves only where it cross-validates better than the probe by more than one standard error.
    const linearCv = head.candidates.find((c) => c.name === "linear")!.cvAccuracy;
    const knnCv = Math.max(...head.candidates.filter((c) => c.name.startsWith("knn")).map((c) => c.cvAccuracy));
    expect(head.method).toBe(knnCv > linearCv + cvStandardError(linearCv, knnCv, 200) ? "knn" : "linear");
    for (let i = 0; i < 10; i++) expect(probabilities.subarray(i * 10, i * 10 + 10).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 4);
    // Deterministic: the same labels give the same head and the same probabilities.
    const again = await fitQuickHead(features, labels, { numClasses: 10, seed: 1 });
    expect(again.candidates).toEqual(head.candidates);
    expect(Array.from(await again.probabilities(queries))).toEqual(Array.from(probabilities));
    // A kept choice refitted on the same labels (no cross-validation) is the same head.
    const kept = await fitQuickHead(features, labels, { numClasses: 10, seed: 1, choice: head });
    expect(kept).toMatchObject({ method: head.method, k: head.k, cvAccuracy: head.cvAccuracy, cvLabels: 200 });
    const keptP = await kept.probabilities(queries);
    expect(Math.max(...keptP.map((v, i) => Math.abs(v - probabilities[i]!)))).toBeLessThan(1e-5);
    head.dispose();
    again.dispose();
    kept.dispose();
    tf.dispose([features, queries]);
  });
});
