// The one preprocessing of fewlabel models: decoded pixels (any size, gray / gray+alpha / RGB / RGBA, e.g. a
// browser's ImageData) -> the model's Float32 input, H x W x C in [0, 1]. The trainer runs it on every decoded
// training copy, the in-browser demo on every picture, and every export ships it as preprocess.js (this file
// compiled to JavaScript at export time, see preprocessModule.ts), so training, scoring and anyone loading a
// download compute the same input bit for bit from the same pixels.
//
// This module must stay plain, self-contained code: no imports, no tf, no DOM, only +, *, / and Math.floor/min/max
// on numbers (IEEE doubles give the same result on every JavaScript engine; Math.exp and friends would not).
//
// Version 1, in this order (the metadata's `preprocessing` object says the same):
// 1. alpha: composited onto white, c' = (c·a + 255·(255 − a)) / 255 (exact identity for opaque pixels), matching the
//    server's training copies, which are flattened onto white;
// 2. resize each channel, stretched to the input's height x width (fit "fill", as the training copies are not
//    cropped), with antialiased bilinear filtering: a triangle filter whose support widens with the downscaling
//    factor (Pillow's BILINEAR / torchvision's antialias=True), half-pixel centres, weights renormalised at the
//    borders; separable, rows first, accumulated in float64. Downscaling averages every source pixel (no aliasing,
//    unlike tf.image.resizeBilinear, which samples 4 pixels); upscaling is plain bilinear; an unchanged size is the
//    identity;
// 3. value scaling: v / 255, rounded to float32;
// 4. channels: a gray source (1 or 2 channels) feeding an RGB model is replicated; an RGB source feeding a gray
//    model becomes its luma, fround((299·R + 587·G + 114·B) / 1000) of the float32 values (Rec. 601 weights on
//    sRGB values; integer weights so that a pixel with R = G = B keeps its value exactly, which makes a gray PNG
//    decoded to RGBA by a browser give the same input as the same PNG decoded to one channel).

export const PREPROCESSING_VERSION = 1;

/** Rec. 601 luma weights in thousandths (see step 4). */
export const GRAY_WEIGHTS_PER_MILLE = [299, 587, 114] as const;

/** How pixels become a model's input: stored in metadata.json as `preprocessing`. */
export interface Preprocessing {
  version: typeof PREPROCESSING_VERSION;
  /** Output layout: height x width x channels, row-major, one image (add the batch axis for tfjs: [1, H, W, C]). */
  layout: "NHWC";
  height: number;
  width: number;
  channels: 1 | 3;
  colorSpace: "grayscale" | "rgb";
  alpha: { flattenOnto: [number, number, number] };
  resize: { method: "bilinear-antialias"; fit: "fill"; order: "rows-then-columns" };
  /** How an RGB source becomes gray (only used when channels = 1 and the source has colour). */
  gray: { weights: [number, number, number]; from: "scaled float32 RGB after resizing" };
  /** input = pixel · scale (pixel / 255, so values lie in [0, 1]). */
  scale: number;
  /** The JavaScript module of this function shipped beside the model. */
  module: "preprocess.js";
}

/** The preprocessing of a square model input. */
export function preprocessingFor(inputSize: number, channels: 1 | 3): Preprocessing {
  return {
    version: PREPROCESSING_VERSION,
    layout: "NHWC",
    height: inputSize,
    width: inputSize,
    channels,
    colorSpace: channels === 1 ? "grayscale" : "rgb",
    alpha: { flattenOnto: [255, 255, 255] },
    resize: { method: "bilinear-antialias", fit: "fill", order: "rows-then-columns" },
    gray: { weights: [GRAY_WEIGHTS_PER_MILLE[0] / 1000, GRAY_WEIGHTS_PER_MILLE[1] / 1000, GRAY_WEIGHTS_PER_MILLE[2] / 1000], from: "scaled float32 RGB after resizing" },
    scale: 1 / 255,
    module: "preprocess.js",
  };
}

/**
 * The preprocessing of a model from its metadata.json. Models exported before the preprocessing was versioned (their
 * `preprocessing` has no version; they were trained on sharp's bilinear resize) get version 1, the nearest.
 */
export function preprocessingOf(metadata: { inputSize: number; channels: 1 | 3; preprocessing?: { version?: unknown } }): Preprocessing {
  const p = metadata.preprocessing;
  return p && p.version === PREPROCESSING_VERSION ? (p as Preprocessing) : preprocessingFor(metadata.inputSize, metadata.channels);
}

/**
 * Decoded 8-bit pixels, row-major, interleaved channels. A browser's ImageData fits (RGBA; `channels` is then
 * inferred from the data's length).
 */
export interface Pixels {
  data: ArrayLike<number>;
  width: number;
  height: number;
  /** 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA; default: data.length / (width · height). */
  channels?: number;
}

/** The model's input for one image: Float32, height x width x channels, in [0, 1]. */
export function preprocessPixels(image: Pixels, p: Pick<Preprocessing, "version" | "height" | "width" | "channels">): Float32Array {
  const natural = resizeToInput(image, p);
  return convertChannels(natural.data, natural.channels, p.channels);
}

/**
 * Steps 1-3: the image at the input's size in its own channels (1 for a gray source, 3 for a colour one). The
 * trainer keeps this per image and applies step 4 (convertChannels) once the model's channel count is known.
 */
export function resizeToInput(image: Pixels, p: Pick<Preprocessing, "version" | "height" | "width">): { data: Float32Array; channels: 1 | 3 } {
  if (p.version !== PREPROCESSING_VERSION) throw new Error(`preprocessing version ${String(p.version)} is not supported (this is version ${PREPROCESSING_VERSION})`);
  const { width: w, height: h, data } = image;
  if (!(w >= 1 && h >= 1 && Number.isInteger(w) && Number.isInteger(h))) throw new Error(`bad image size ${w} x ${h}`);
  const sc = image.channels ?? data.length / (w * h);
  if (!(sc === 1 || sc === 2 || sc === 3 || sc === 4) || data.length < w * h * sc) throw new Error(`expected ${w} x ${h} pixels of 1-4 channels, got ${data.length} values`);
  const outH = p.height, outW = p.width;
  if (!(outH >= 1 && outW >= 1 && Number.isInteger(outH) && Number.isInteger(outW))) throw new Error(`bad input size ${outW} x ${outH}`);
  const c = sc <= 2 ? 1 : 3;
  const alpha = sc === 2 || sc === 4;
  const cols = filterTaps(w, outW);
  const rows = filterTaps(h, outH);

  // Rows first: every source row, flattened onto white, filtered to outW columns.
  const row = new Float64Array(w * c);
  const mid = new Float64Array(h * outW * c);
  for (let y = 0; y < h; y++) {
    const base = y * w * sc;
    for (let x = 0; x < w; x++) {
      const s = base + x * sc;
      const a = alpha ? data[s + sc - 1]! : 255;
      for (let k = 0; k < c; k++) row[x * c + k] = (data[s + k]! * a + 255 * (255 - a)) / 255;
    }
    applyTaps(row, c, cols, mid, y * outW * c);
  }
  // Then columns: each output row is a weighted sum of whole filtered rows.
  const out = new Float32Array(outH * outW * c);
  const line = outW * c;
  for (let oy = 0; oy < outH; oy++) {
    const first = rows.first[oy]!, count = rows.count[oy]!, at = oy * rows.stride;
    for (let i = 0; i < line; i++) {
      let sum = 0;
      for (let t = 0; t < count; t++) sum += rows.weights[at + t]! * mid[(first + t) * line + i]!;
      out[oy * line + i] = sum / 255;
    }
  }
  return { data: out, channels: c };
}

/** Step 4: float32 values of one image (or many, back to back) from `from` channels to `to`. */
export function convertChannels(data: Float32Array, from: 1 | 3, to: 1 | 3): Float32Array {
  if (from === to) return data;
  const n = data.length / from;
  const out = new Float32Array(n * to);
  if (to === 3) {
    for (let i = 0; i < n; i++) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = data[i]!;
  } else {
    const [wr, wg, wb] = GRAY_WEIGHTS_PER_MILLE;
    for (let i = 0; i < n; i++) out[i] = (wr * data[3 * i]! + wg * data[3 * i + 1]! + wb * data[3 * i + 2]!) / 1000;
  }
  return out;
}

interface Taps {
  /** First source index of each output index. */
  first: Int32Array;
  count: Int32Array;
  /** Normalised weights, `stride` per output index. */
  weights: Float64Array;
  stride: number;
}

/** Antialiased bilinear weights from `inSize` samples to `outSize` (Pillow's precompute_coeffs, triangle filter). */
function filterTaps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // the triangle's radius is 1 output pixel, in source pixels
  const stride = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize), count = new Int32Array(outSize), weights = new Float64Array(outSize * stride);
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) * scale;
    const lo = Math.max(Math.floor(centre - support + 0.5), 0);
    const hi = Math.min(Math.floor(centre + support + 0.5), inSize);
    let total = 0;
    const n = Math.min(hi - lo, stride);
    for (let t = 0; t < n; t++) {
      const d = Math.abs((lo + t + 0.5 - centre) / filterScale);
      const v = d < 1 ? 1 - d : 0;
      weights[o * stride + t] = v;
      total += v;
    }
    for (let t = 0; t < n; t++) weights[o * stride + t] = weights[o * stride + t]! / total;
    first[o] = lo;
    count[o] = n;
  }
  return { first, count, weights, stride };
}

/** One row of `c` interleaved channels through the column taps, written at `out[at..]`. */
function applyTaps(row: Float64Array, c: number, taps: Taps, out: Float64Array, at: number): void {
  const outSize = taps.first.length;
  for (let o = 0; o < outSize; o++) {
    const first = taps.first[o]!, count = taps.count[o]!, base = o * taps.stride;
    for (let k = 0; k < c; k++) {
      let sum = 0;
      for (let t = 0; t < count; t++) sum += taps.weights[base + t]! * row[(first + t) * c + k]!;
      out[at + o * c + k] = sum;
    }
  }
}
