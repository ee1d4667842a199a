import { describe, expect, it } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { mulberry32 } from "../util/random.js";
import { convertChannels, cropPixels, preprocessingFor, preprocessingOf, preprocessPixels, resizeToInput } from "./preprocess.js";
import { preprocessModuleSource } from "./preprocessModule.js";

const f32 = Math.fround;
const randomImage = (width: number, height: number, channels: number, seed: number) => {
  const rand = mulberry32(seed);
  return { width, height, channels, data: Uint8Array.from({ length: width * height * channels }, () => Math.floor(rand() * 256)) };
};
/** The same pixels as a browser's ImageData would hold them: RGBA, opaque. */
const asRgba = (img: { width: number; height: number; channels: number; data: Uint8Array }) => {
  const n = img.width * img.height;
  const data = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) data[4 * i + k] = img.data[i * img.channels + (img.channels === 1 ? 0 : k)]!;
    data[4 * i + 3] = 255;
  }
  return { width: img.width, height: img.height, data };
};

describe("preprocessPixels", () => {
  it("is v / 255 in float32 when the size does not change", () => {
    const img = randomImage(7, 5, 3, 1);
    const out = preprocessPixels(img, { ...preprocessingFor(1, 3), height: 5, width: 7 });
    expect(Array.from(out)).toEqual(Array.from(img.data, (v) => f32(v / 255)));
  });

  it("downscales with the antialiased triangle filter (hand-computed weights), not by sampling", () => {
    // 2x down: output 0's centre is at source 1.0, the triangle has radius 2, so source pixels 0, 1, 2 weigh
    // 0.75, 0.75, 0.25 (normalised by 1.75).
    const img = { width: 4, height: 1, channels: 1, data: Uint8Array.from([0, 255, 0, 255]) };
    const out = preprocessPixels(img, { ...preprocessingFor(1, 1, 1), height: 1, width: 2 });
    expect(out[0]).toBeCloseTo(0.75 / 1.75, 6);
    // Output 1's centre is at 3.0: pixels 1, 2, 3 weigh 0.25, 0.75, 0.75.
    expect(out[1]).toBeCloseTo(1 / 1.75, 6);
    // Alternating columns shrunk 8x: every source pixel is averaged in, so the result is mid-gray everywhere
    // (tf.image.resizeBilinear samples two columns and returns pure black or white stripes).
    const stripes = { width: 64, height: 64, channels: 1, data: Uint8Array.from({ length: 64 * 64 }, (_, i) => (i % 2 ? 255 : 0)) };
    const small = preprocessPixels(stripes, preprocessingFor(8, 1));
    for (const v of small) expect(Math.abs(v - 0.5)).toBeLessThan(0.07);
  });

  it("upscales bilinearly with half-pixel centres and clamped borders", () => {
    const img = { width: 2, height: 1, channels: 1, data: Uint8Array.from([0, 255]) };
    const out = preprocessPixels(img, { ...preprocessingFor(1, 1, 1), height: 1, width: 4 });
    // Centres at 0.25, 0.75, 1.25, 1.75 source pixels: clamped, 0.25 of the way, 0.75, clamped.
    expect(Array.from(out)).toEqual([0, f32(0.25), f32(0.75), 1]);
  });

  it("version 1 stretches non-square images to the input (fit fill)", () => {
    // 6 x 2 -> 2 x 2: rows keep their values (height unchanged), each row's 6 pixels become 2 (no crop, no padding).
    const img = { width: 6, height: 2, channels: 1, data: Uint8Array.from([10, 10, 10, 10, 10, 10, 200, 200, 200, 200, 200, 200]) };
    const out = preprocessPixels(img, preprocessingFor(2, 1, 1));
    expect(Array.from(out)).toEqual([f32(10 / 255), f32(10 / 255), f32(200 / 255), f32(200 / 255)]);
  });

  it("version 2 takes the centred window of the input's aspect ratio (fit centre-crop); a square image is taken whole", () => {
    // 6 x 2 -> 2 x 2: the centred 2 x 2 window is columns 2 and 3, rows 0 and 1.
    const img = { width: 6, height: 2, channels: 1, data: Uint8Array.from([1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16]) };
    expect(Array.from(preprocessPixels(img, preprocessingFor(2, 1)))).toEqual([3, 4, 13, 14].map((v) => f32(v / 255)));
    // Tall images lose their top and bottom the same way.
    const tall = { width: 2, height: 6, channels: 1, data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) };
    expect(Array.from(preprocessPixels(tall, preprocessingFor(2, 1)))).toEqual([5, 6, 7, 8].map((v) => f32(v / 255)));
    // Square sources: versions 1 and 2 are the same function, bit for bit, up and down.
    const square = randomImage(37, 37, 3, 9);
    for (const size of [8, 37, 50]) expect(preprocessPixels(square, preprocessingFor(size, 3))).toEqual(preprocessPixels(square, preprocessingFor(size, 3, 1)));
    expect(preprocessingFor(8, 3).resize.fit).toBe("centre-crop");
    expect(preprocessingFor(8, 3, 1).resize.fit).toBe("fill");
  });

  it("reads the version a model was made with; unversioned models get version 1", () => {
    expect(preprocessingOf({ inputSize: 8, channels: 1, preprocessing: preprocessingFor(8, 1, 1) }).resize.fit).toBe("fill");
    expect(preprocessingOf({ inputSize: 8, channels: 1, preprocessing: preprocessingFor(8, 1) }).resize.fit).toBe("centre-crop");
    expect(preprocessingOf({ inputSize: 8, channels: 1 }).version).toBe(1);
  });

  it("flattens alpha onto white", () => {
    const img = { width: 3, height: 1, channels: 4, data: Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 128, 40, 80, 120, 255]) };
    const out = preprocessPixels(img, { ...preprocessingFor(1, 3), height: 1, width: 3 });
    expect(Array.from(out)).toEqual([1, 1, 1, ...[0, 0, 0].map(() => f32(127 / 255)), f32(40 / 255), f32(80 / 255), f32(120 / 255)]);
    const grayAlpha = { width: 1, height: 1, channels: 2, data: Uint8Array.from([0, 51]) };
    expect(preprocessPixels(grayAlpha, preprocessingFor(1, 1))[0]).toBe(f32(204 / 255));
  });

  it("makes gray from colour by Rec. 601 luma, and keeps a gray pixel exactly however it was decoded", () => {
    const red = { width: 1, height: 1, channels: 3, data: Uint8Array.from([255, 0, 0]) };
    expect(preprocessPixels(red, preprocessingFor(1, 1))[0]).toBe(f32(0.299));
    // A gray image as one channel and as a browser's RGBA ImageData give the same input bit for bit, for gray and
    // RGB models, through downscaling, upscaling and an unchanged size.
    const gray = randomImage(37, 23, 1, 2);
    for (const size of [8, 23, 40]) {
      for (const channels of [1, 3] as const) {
        expect(preprocessPixels(asRgba(gray), preprocessingFor(size, channels))).toEqual(preprocessPixels(gray, preprocessingFor(size, channels)));
      }
    }
  });

  it("converts channels after resizing: replicate gray, luma of RGB", () => {
    const rgb = randomImage(30, 20, 3, 3);
    const p = preprocessingFor(16, 1);
    const natural = resizeToInput(rgb, p);
    expect(natural.channels).toBe(3);
    expect(preprocessPixels(rgb, p)).toEqual(convertChannels(natural.data, 3, 1));
    const g = convertChannels(Float32Array.from([0.25, 0.5]), 1, 3);
    expect(Array.from(g)).toEqual([0.25, 0.25, 0.25, 0.5, 0.5, 0.5]);
  });

  it("refuses an unknown version and malformed pixels", () => {
    const img = randomImage(4, 4, 3, 4);
    expect(() => preprocessPixels(img, { ...preprocessingFor(2, 3), version: 3 as 1 })).toThrow(/version 3/);
    expect(() => preprocessPixels({ width: 4, height: 4, data: new Uint8Array(40) }, preprocessingFor(2, 3))).toThrow(/1-4 channels/);
  });
});

describe("cropPixels (training crops)", () => {
  it("is the sub-image exactly when the window is whole pixels at the output's size", () => {
    const img = randomImage(9, 7, 3, 5);
    const out = cropPixels(img, [2 / 7, 3 / 9, 6 / 7, 8 / 9], 5, 4);
    const expected: number[] = [];
    for (let y = 2; y < 6; y++) for (let x = 3; x < 8; x++) for (let k = 0; k < 3; k++) expected.push(f32(img.data[(y * 9 + x) * 3 + k]! / 255));
    expect(out.channels).toBe(3);
    expect(Array.from(out.data)).toEqual(expected);
  });

  it("mirrors when x1 > x2, and the whole box is the version 1 resize", () => {
    const img = randomImage(20, 13, 1, 6);
    const plain = cropPixels(img, [0.1, 0.2, 0.9, 0.7], 6, 6).data;
    const mirrored = cropPixels(img, [0.1, 0.7, 0.9, 0.2], 6, 6).data;
    for (let y = 0; y < 6; y++) for (let x = 0; x < 6; x++) expect(mirrored[y * 6 + x]).toBe(plain[y * 6 + 5 - x]);
    expect(cropPixels(img, [0, 0, 1, 1], 11, 8).data).toEqual(resizeToInput(img, { version: 1, height: 8, width: 11 }).data);
  });

  it("antialiases a large window into a small output, and refuses an empty box", () => {
    const stripes = { width: 64, height: 64, channels: 1, data: Uint8Array.from({ length: 64 * 64 }, (_, i) => (i % 2 ? 255 : 0)) };
    for (const v of cropPixels(stripes, [0.25, 0.25, 0.75, 0.75], 4, 4).data) expect(Math.abs(v - 0.5)).toBeLessThan(0.07);
    expect(() => cropPixels(stripes, [0.5, 0.2, 0.5, 0.4], 4, 4)).toThrow(/empty crop/);
  });
});

describe("preprocess.js (shipped with every export)", () => {
  it("is a self-contained module that computes exactly what preprocessPixels computes", async () => {
    const p = preprocessingFor(24, 3);
    const source = await preprocessModuleSource(p);
    expect(source).not.toMatch(/^\s*import\s/m);
    const dir = await mkdtemp(join(tmpdir(), "fewlabel-preprocess-"));
    try {
      await writeFile(join(dir, "preprocess.js"), source);
      const mod = (await import(pathToFileURL(join(dir, "preprocess.js")).href)) as {
        preprocess: (image: unknown) => Float32Array;
        shape: number[];
        preprocessing: unknown;
      };
      expect(mod.shape).toEqual([1, 24, 24, 3]);
      expect(mod.preprocessing).toEqual(p);
      for (const [w, h, c] of [
        [100, 61, 4],
        [17, 40, 3],
        [24, 24, 1],
        [7, 30, 2],
      ] as const) {
        const img = randomImage(w, h, c, w + h);
        expect(mod.preprocess(img)).toEqual(preprocessPixels(img, p));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
