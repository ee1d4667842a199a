import { beforeAll, describe, expect, it } from "vitest";
import { tf } from "../tf.js";
import { selectBackend } from "../backend/select.js";
import { drawCropBoxes, type AugmentConfig } from "../augment/augment.js";
import { augmentedBatch } from "../stages/batches.js";
import { tensorImageSource } from "../stages/imageSource.js";
import { mulberry32 } from "../util/random.js";
import { pixelImageSource } from "./pixelSource.js";
import { preprocessingFor, preprocessPixels } from "./preprocess.js";

beforeAll(async () => {
  await selectBackend({ order: ["wasm"] });
});

const randomImage = (width: number, height: number, channels: number, seed: number) => {
  const rand = mulberry32(seed);
  return { width, height, channels, data: Uint8Array.from({ length: width * height * channels }, () => Math.floor(rand() * 256)) };
};

const jitterOnly: AugmentConfig = {
  crop: null,
  flip: false,
  colorJitter: { p: 1, brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 },
  grayscale: 0.5,
  blur: null,
};

describe("pixelImageSource", () => {
  it("gives each image as the model's preprocessing does (centred window, channels converted)", () => {
    const images = [randomImage(40, 20, 3, 1), randomImage(12, 30, 1, 2)];
    const source = pixelImageSource(images, { inputSize: 16, channels: 3 });
    const x = source.get([1, 0]);
    expect(x.shape).toEqual([2, 16, 16, 3]);
    const data = x.dataSync();
    expect(Array.from(data.subarray(0, 16 * 16 * 3))).toEqual(Array.from(preprocessPixels(images[1]!, preprocessingFor(16, 3))));
    expect(Array.from(data.subarray(16 * 16 * 3))).toEqual(Array.from(preprocessPixels(images[0]!, preprocessingFor(16, 3))));
    x.dispose();
    expect(() => source.get([2])).toThrow(/image 2 of 2/);
  });

  it("augments square images of the input size as a tensor of them would be (same generator, same draws)", () => {
    const images = [0, 1, 2].map((i) => randomImage(8, 8, 3, 10 + i));
    const pixels = pixelImageSource(images, { inputSize: 8, channels: 3 });
    const tensor = pixels.get([0, 1, 2]);
    const a = augmentedBatch(pixels, [2, 0, 1], jitterOnly, mulberry32(7), 2);
    const b = augmentedBatch(tensorImageSource(tensor), [2, 0, 1], jitterOnly, mulberry32(7), 2);
    expect(a.shape).toEqual([6, 8, 8, 3]);
    const da = a.dataSync(),
      db = b.dataSync();
    for (let i = 0; i < da.length; i++) expect(da[i]).toBeCloseTo(db[i]!, 5);
    tf.dispose([tensor, a, b]);
  });

  it("crops on each image's own aspect ratio: a square crop of a wide photo is square in pixels", () => {
    const cfg: AugmentConfig = { crop: { scale: [0.25, 0.25], ratio: [1, 1] }, flip: false, colorJitter: null, grayscale: 0, blur: null };
    const [y1, x1, y2, x2] = drawCropBoxes(1, cfg, mulberry32(3), [2]);
    // A 2:1 image of height H: the crop covers a quarter of its area (0.5 H^2) and is as wide as it is high.
    const widthPx = (x2! - x1!) * 2,
      heightPx = y2! - y1!;
    expect(widthPx).toBeCloseTo(heightPx, 5);
    expect(widthPx * heightPx).toBeCloseTo(0.5, 5);
    // Without a crop, the box is the centred square: what evaluation sees.
    const none = drawCropBoxes(2, { ...cfg, crop: null }, mulberry32(3), [2, 0.5]);
    expect(Array.from(none)).toEqual(Array.from(Float32Array.from([0, 0.25, 1, 0.75, 0.25, 0, 0.75, 1])));
  });

  it("takes training crops from each image's own pixels: a crop of a large image keeps its detail", () => {
    // A 64 px checkerboard of 2 px squares: a 16 px input of the whole image averages it to gray, but a crop of a
    // quarter of its side resampled to 16 px (a 1:1 window of pixels) still shows the squares.
    const board = { width: 64, height: 64, channels: 1, data: Uint8Array.from({ length: 64 * 64 }, (_, i) => ((Math.floor(i / 64 / 2) + Math.floor((i % 64) / 2)) % 2 ? 255 : 0)) };
    const source = pixelImageSource([board], { inputSize: 16, channels: 1 });
    const spread = (t: tf.Tensor) => {
      const d = t.dataSync();
      t.dispose();
      return Math.max(...d) - Math.min(...d);
    };
    expect(spread(source.get([0]))).toBeLessThan(0.1);
    const cfg: AugmentConfig = { crop: { scale: [1 / 16, 1 / 16], ratio: [1, 1] }, flip: false, colorJitter: null, grayscale: 0, blur: null };
    expect(spread(augmentedBatch(source, [0], cfg, mulberry32(1)))).toBeGreaterThan(0.9);
  });
});
