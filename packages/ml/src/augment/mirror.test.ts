// Whether flips suit the data, asked of the images: real Fashion-MNIST classes and rendered digits.
import { beforeAll, describe, expect, it } from "vitest";
import { fashionMnistAvailable, loadFashionMnist, renderDigits } from "@fewlabel/datasets";
import { selectBackend } from "../backend/select.js";
import { tf } from "../tf.js";
import { defaultAugmentConfig, fineTuneAugmentConfig } from "./augment.js";
import { checkMirrorInvariance, MIRROR_RATIO_THRESHOLD } from "./mirror.js";

const haveData = fashionMnistAvailable();
if (!haveData && process.env.CI) throw new Error("Fashion-MNIST is missing: apt-get install -y dataset-fashion-mnist");

const toTensor = (pixels: Uint8Array, count: number) =>
  tf.tensor4d(
    Float32Array.from(pixels.subarray(0, count * 784), (v) => v / 255),
    [count, 28, 28, 1],
  );

beforeAll(async () => {
  await selectBackend({ order: ["wasm"] });
});

describe("checkMirrorInvariance", () => {
  it.skipIf(!haveData)("finds mirrors typical for clothes seen from the front and atypical for left-facing shoes", async () => {
    const set = loadFashionMnist("train", { limit: 6000 });
    const subset = (classes: number[]) => {
      const idx = Array.from({ length: set.count }, (_, i) => i)
        .filter((i) => classes.includes(set.labels[i]!))
        .slice(0, 1000);
      const pixels = new Uint8Array(idx.length * 784);
      idx.forEach((from, to) => pixels.set(set.pixels.subarray(from * 784, (from + 1) * 784), to * 784));
      return toTensor(pixels, idx.length);
    };
    const front = subset([0, 2, 3, 4, 8]),
      shoes = subset([5, 7, 9]);
    const a = await checkMirrorInvariance(front),
      b = await checkMirrorInvariance(shoes);
    expect(a.mirrorSafe).toBe(true);
    expect(b.mirrorSafe).toBe(false);
    expect(b.ratio).toBeGreaterThan(a.ratio + 0.3);
    tf.dispose([front, shoes]);
  });

  it("finds mirrored digits atypical, and the augmentation defaults follow", async () => {
    const digits = await renderDigits(600, 3);
    const x = toTensor(digits.pixels, digits.count);
    const check = await checkMirrorInvariance(x);
    expect(check.ratio).toBeGreaterThan(MIRROR_RATIO_THRESHOLD);
    expect(check.mirrorSafe).toBe(false);
    expect(defaultAugmentConfig(28, 1, 0.5, check).flip).toBe(false);
    expect(fineTuneAugmentConfig(check).flip).toBe(false);
    // Photos keep SimCLR's flips when nothing says otherwise.
    expect(defaultAugmentConfig(96, 3).flip).toBe(true);
    x.dispose();
  });

  it("calls a collection of symmetric images mirror-safe", async () => {
    // Horizontally symmetric blobs of random sizes: every mirror is the image itself.
    const n = 200;
    const data = new Float32Array(n * 28 * 28);
    for (let i = 0; i < n; i++) {
      const w = 3 + (i % 10),
        h = 4 + ((i * 7) % 18),
        top = (i * 3) % 6;
      for (let y = top; y < top + h; y++) for (let x = 14 - w; x < 14 + w; x++) data[i * 784 + y * 28 + x] = 0.3 + (i % 7) / 10;
    }
    const x = tf.tensor4d(data, [n, 28, 28, 1]);
    expect((await checkMirrorInvariance(x)).mirrorSafe).toBe(true);
    x.dispose();
  });
});
