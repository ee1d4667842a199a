import { beforeAll, describe, expect, it } from "vitest";
import { tf } from "../tf.js";
import { selectBackend } from "../backend/select.js";
import { augment, defaultAugmentConfig, fineTuneAugmentConfig, type AugmentConfig } from "./augment.js";
import { mulberry32 } from "../util/random.js";

beforeAll(async () => {
  await selectBackend({ order: ["wasm"] });
});

function images(n: number, size: number, c: number): tf.Tensor4D {
  const r = mulberry32(1);
  const data = new Float32Array(n * size * size * c);
  // smooth gradients plus noise: crops and blur visibly change them
  for (let i = 0; i < data.length; i++) {
    const px = Math.floor(i / c) % (size * size);
    data[i] = Math.min(1, Math.max(0, ((px % size) / size) * 0.6 + 0.3 * r()));
  }
  return tf.tensor4d(data, [n, size, size, c]);
}

const full: AugmentConfig = {
  crop: { scale: [0.2, 1], ratio: [0.75, 1.33] },
  flip: true,
  colorJitter: { p: 1, brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 },
  grayscale: 0.5,
  blur: { p: 1, sigma: [0.5, 2] },
};

describe("augment", () => {
  for (const [name, c, cfg] of [
    ["rgb, every op on", 3, full],
    ["grayscale defaults", 1, defaultAugmentConfig(28, 1)],
    ["rgb defaults, 96 px", 3, defaultAugmentConfig(96, 3)],
  ] as const) {
    it(`${name}: keeps shape and range, reproducible per seed, differs between seeds`, () => {
      const size = name.includes("96") ? 96 : 28;
      const x = images(4, size, c);
      const a = augment(x, cfg, 1),
        a2 = augment(x, cfg, 1),
        b = augment(x, cfg, 2);
      expect(a.shape).toEqual(x.shape);
      const av = a.dataSync();
      expect(Math.min(...av)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...av)).toBeLessThanOrEqual(1);
      expect(Array.from(a2.dataSync())).toEqual(Array.from(av));
      const diff = tf.mean(tf.abs(tf.sub(a, b))).dataSync()[0]!;
      expect(diff).toBeGreaterThan(0.01);
      const changed = tf.mean(tf.abs(tf.sub(a, x))).dataSync()[0]!;
      expect(changed).toBeGreaterThan(0.01);
      tf.dispose([x, a, a2, b]);
    });
  }

  it("is the identity when every op is off", () => {
    const x = images(2, 32, 3);
    const id = augment(x, { crop: null, flip: false, colorJitter: null, grayscale: 0, blur: null }, 3);
    expect(tf.max(tf.abs(tf.sub(id, x))).dataSync()[0]).toBeLessThan(1e-5);
  });

  it("flip alone mirrors images horizontally", () => {
    const x = images(8, 28, 1);
    const f = augment(x, { crop: null, flip: true, colorJitter: null, grayscale: 0, blur: null }, 5);
    const mirrored = tf.reverse(x, 2);
    const perImage = (t: tf.Tensor) => tf.mean(tf.abs(t), [1, 2, 3]).dataSync();
    const same = perImage(tf.sub(f, x)),
      flipped = perImage(tf.sub(f, mirrored));
    let flips = 0;
    for (let i = 0; i < 8; i++) {
      expect(Math.min(same[i]!, flipped[i]!)).toBeLessThan(1e-5);
      if (flipped[i]! < 1e-5) flips++;
    }
    expect(flips).toBeGreaterThan(0);
    expect(flips).toBeLessThan(8);
  });

  it("fine-tunes small inputs on crops that only shift them, larger ones on wider crops", () => {
    expect(fineTuneAugmentConfig({}, 28).crop!.scale).toEqual([0.8, 1]);
    expect(fineTuneAugmentConfig({ mirrorSafe: false }, 32)).toMatchObject({ crop: { scale: [0.8, 1] }, flip: false, colorJitter: null });
    expect(fineTuneAugmentConfig({}, 96).crop!.scale).toEqual([0.5, 1]);
  });

  it("cutout paints one gray square per chosen image and leaves the rest as they were", () => {
    const x = images(16, 28, 1);
    const cfg: AugmentConfig = { crop: null, flip: false, colorJitter: null, grayscale: 0, blur: null, cutout: { p: 0.5, size: 0.5 } };
    const out = augment(x, cfg, 9);
    const a = x.arraySync() as number[][][][],
      b = out.arraySync() as number[][][][];
    let cut = 0;
    for (let i = 0; i < 16; i++) {
      const changed: [number, number][] = [];
      for (let y = 0; y < 28; y++) for (let z = 0; z < 28; z++) if (Math.abs(a[i]![y]![z]![0]! - b[i]![y]![z]![0]!) > 1e-6) changed.push([y, z]);
      for (const [y, z] of changed) expect(b[i]![y]![z]![0]).toBeCloseTo(0.5, 5);
      if (changed.length === 0) continue;
      cut++;
      // One square (clipped at the edges): every changed pixel lies in the box they span, at most half the side.
      const ys = changed.map((p) => p[0]),
        zs = changed.map((p) => p[1]);
      const height = Math.max(...ys) - Math.min(...ys) + 1,
        width = Math.max(...zs) - Math.min(...zs) + 1;
      expect(Math.max(height, width)).toBeLessThanOrEqual(14);
    }
    expect(cut).toBeGreaterThan(2);
    expect(cut).toBeLessThan(14);
    // Without cutout the same seed gives the input back: the other ops draw nothing from the generator for it.
    expect(tf.max(tf.abs(tf.sub(augment(x, { ...cfg, cutout: null }, 9), x))).dataSync()[0]).toBeLessThan(1e-5);
  });
});
