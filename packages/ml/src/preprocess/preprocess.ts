// The one preprocessing of fewlabel models: decoded pixels (any size, gray / gray+alpha / RGB / RGBA, e.g. a
// browser's ImageData) -> the model's Float32 input, H x W x C in [0, 1]. The trainer runs it on every decoded
// training copy, the in-browser demo on every picture, and every export ships it as preprocess.js (this file
// compiled to JavaScript at export time, see preprocessModule.ts), so training, scoring and anyone loading a
// download compute the same input bit for bit from the same pixels.
//
// This module must stay plain, self-contained code: no imports, no tf, no DOM, only +, *, / and Math.floor/min/max
// on numbers (IEEE doubles give the same result on every JavaScript engine; Math.exp and friends would not).
//
// Version 2 (models made since images keep their aspect ratio), in this order (the metadata's `preprocessing` object
// says the same):
// 1. alpha: composited onto white, c' = (c·a + 255·(255 − a)) / 255 (exact identity for opaque pixels), matching the
//    server's training copies, which are flattened onto white;
// 2. resize each channel to the input's height x width: version 2 takes the largest centred window of the input's
//    aspect ratio (fit "centre-crop": a wide photo loses its sides, a square image is taken whole; window edges may
//    fall between pixels), version 1 stretches the whole image (fit "fill"). Antialiased bilinear filtering: a triangle filter whose support widens with the downscaling
//    factor (Pillow's BILINEAR / torchvision's antialias=True), half-pixel centres, weights renormalised at the
//    borders; separable, rows first, accumulated in float64. Downscaling averages every source pixel (no aliasing,
//    unlike tf.image.resizeBilinear, which samples 4 pixels); upscaling is plain bilinear; an unchanged size is the
//    identity;
// 3. value scaling: v / 255, rounded to float32;
// 4. channels: a gray source (1 or 2 channels) feeding an RGB model is replicated; an RGB source feeding a gray
//    model becomes its luma, fround((299·R + 587·G + 114·B) / 1000) of the float32 values (Rec. 601 weights on
//    sRGB values; integer weights so that a pixel with R = G = B keeps its value exactly, which makes a gray PNG
//    decoded to RGBA by a browser give the same input as the same PNG decoded to one channel).
// Training crops (cropPixels) are the same resampling over a random window, mirrored or not, so that what the model
// sees in training and what it is given afterwards differ only in the window.

/** The version new models are made with. Version 1 (fit "fill") is still read, for models exported before 2. */
export const PREPROCESSING_VERSION = 2;
export type PreprocessingVersion = 1 | 2;

/** Rec. 601 luma weights in thousandths (see step 4). */
export const GRAY_WEIGHTS_PER_MILLE = [299, 587, 114] as const;

/** How pixels become a model's input: stored in metadata.json as `preprocessing`. */
export interface Preprocessing {
  version: PreprocessingVersion;
  /** Output layout: height x width x channels, row-major, one image (add the batch axis for tfjs: [1, H, W, C]). */
  layout: "NHWC";
  height: number;
  width: number;
  channels: 1 | 3;
  colorSpace: "grayscale" | "rgb";
  alpha: { flattenOnto: [number, number, number] };
  resize: { method: "bilinear-antialias"; fit: "fill" | "centre-crop"; order: "rows-then-columns" };
  /** How an RGB source becomes gray (only used when channels = 1 and the source has colour). */
  gray: { weights: [number, number, number]; from: "scaled float32 RGB after resizing" };
  /** input = pixel · scale (pixel / 255, so values lie in [0, 1]). */
  scale: number;
  /** The JavaScript module of this function shipped beside the model. */
  module: "preprocess.js";
}

/** The preprocessing of a square model input (version 2 unless asked for 1). */
export function preprocessingFor(inputSize: number, channels: 1 | 3, version: PreprocessingVersion = PREPROCESSING_VERSION): Preprocessing {
  return {
    version,
    layout: "NHWC",
    height: inputSize,
    width: inputSize,
    channels,
    colorSpace: channels === 1 ? "grayscale" : "rgb",
    alpha: { flattenOnto: [255, 255, 255] },
    resize: { method: "bilinear-antialias", fit: version === 1 ? "fill" : "centre-crop", order: "rows-then-columns" },
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
  return p && (p.version === 1 || p.version === 2) ? (p as Preprocessing) : preprocessingFor(metadata.inputSize, metadata.channels, 1);
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
 * trainer applies step 4 (convertChannels) once the model's channel count is known.
 */
export function resizeToInput(image: Pixels, p: Pick<Preprocessing, "version" | "height" | "width">): { data: Float32Array; channels: 1 | 3 } {
  if (p.version !== 1 && p.version !== 2) throw new Error(`preprocessing version ${String(p.version)} is not supported (this is version ${PREPROCESSING_VERSION})`);
  const { w, h } = checkedSize(image);
  if (!(p.height >= 1 && p.width >= 1 && Number.isInteger(p.height) && Number.isInteger(p.width))) throw new Error(`bad input size ${p.width} x ${p.height}`);
  if (p.version === 1) return resampleWindow(image, 0, 0, w, h, p.width, p.height, false);
  // The largest centred window with the input's aspect ratio.
  const aspect = p.width / p.height;
  const ww = Math.min(w, h * aspect),
    wh = Math.min(h, w / aspect);
  return resampleWindow(image, (w - ww) / 2, (h - wh) / 2, ww, wh, p.width, p.height, false);
}

/**
 * A training crop: the window `box` = [y1, x1, y2, x2] of the image, in fractions of its height and width (x1 > x2
 * mirrors it), resampled to width x height as step 2 resamples, steps 1 and 3 included.
 */
export function cropPixels(image: Pixels, box: ArrayLike<number>, width: number, height: number): { data: Float32Array; channels: 1 | 3 } {
  const { w, h } = checkedSize(image);
  const y1 = box[0]!,
    x1 = box[1]!,
    y2 = box[2]!,
    x2 = box[3]!;
  const left = Math.max(0, Math.min(x1, x2)) * w,
    right = Math.min(1, Math.max(x1, x2)) * w;
  const top = Math.max(0, y1) * h,
    bottom = Math.min(1, y2) * h;
  if (!(right > left && bottom > top)) throw new Error(`empty crop box [${Array.from(box).join(", ")}]`);
  return resampleWindow(image, left, top, right - left, bottom - top, width, height, x1 > x2);
}

function checkedSize(image: Pixels): { w: number; h: number } {
  const { width: w, height: h, data } = image;
  if (!(w >= 1 && h >= 1 && Number.isInteger(w) && Number.isInteger(h))) throw new Error(`bad image size ${w} x ${h}`);
  const sc = image.channels ?? data.length / (w * h);
  if (!(sc === 1 || sc === 2 || sc === 3 || sc === 4) || data.length < w * h * sc) throw new Error(`expected ${w} x ${h} pixels of 1-4 channels, got ${data.length} values`);
  return { w, h };
}

/**
 * Steps 1-3 over the window (x0, y0, ww, wh) of the source, in source pixels (edges may fall between pixels), to
 * outW x outH; `mirror` reverses the columns. Only the source rows the window's filter reaches are read.
 */
function resampleWindow(image: Pixels, x0: number, y0: number, ww: number, wh: number, outW: number, outH: number, mirror: boolean): { data: Float32Array; channels: 1 | 3 } {
  const { width: w, height: h, data } = image;
  const sc = image.channels ?? data.length / (w * h);
  const c = sc <= 2 ? 1 : 3;
  const alpha = sc === 2 || sc === 4;
  const cols = filterTaps(w, outW, x0, ww, mirror);
  const rows = filterTaps(h, outH, y0, wh, false);
  let rowLo = h,
    rowHi = 0;
  for (let o = 0; o < outH; o++) {
    rowLo = Math.min(rowLo, rows.first[o]!);
    rowHi = Math.max(rowHi, rows.first[o]! + rows.count[o]!);
  }

  // Rows first: every source row the window needs, flattened onto white, filtered to outW columns.
  const row = new Float64Array(w * c);
  const mid = new Float64Array((rowHi - rowLo) * outW * c);
  for (let y = rowLo; y < rowHi; y++) {
    const base = y * w * sc;
    for (let x = 0; x < w; x++) {
      const s = base + x * sc;
      const a = alpha ? data[s + sc - 1]! : 255;
      for (let k = 0; k < c; k++) row[x * c + k] = (data[s + k]! * a + 255 * (255 - a)) / 255;
    }
    applyTaps(row, c, cols, mid, (y - rowLo) * outW * c);
  }
  // Then columns: each output row is a weighted sum of whole filtered rows.
  const out = new Float32Array(outH * outW * c);
  const line = outW * c;
  for (let oy = 0; oy < outH; oy++) {
    const first = rows.first[oy]! - rowLo,
      count = rows.count[oy]!,
      at = oy * rows.stride;
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

/**
 * Antialiased bilinear weights (Pillow's precompute_coeffs, triangle filter) from the window [start, start + span)
 * of `inSize` samples to `outSize`; `mirror` lists the outputs in reverse order. The whole range (0, inSize) gives
 * exactly Pillow's weights.
 */
function filterTaps(inSize: number, outSize: number, start: number, span: number, mirror: boolean): Taps {
  const scale = span / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // the triangle's radius is 1 output pixel, in source pixels
  const stride = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize),
    count = new Int32Array(outSize),
    weights = new Float64Array(outSize * stride);
  for (let i = 0; i < outSize; i++) {
    const centre = start + (i + 0.5) * scale;
    const lo = Math.min(Math.max(Math.floor(centre - support + 0.5), 0), inSize - 1);
    const hi = Math.max(Math.min(Math.floor(centre + support + 0.5), inSize), lo + 1);
    let total = 0;
    const n = Math.min(hi - lo, stride);
    const o = mirror ? outSize - 1 - i : i;
    for (let t = 0; t < n; t++) {
      const d = Math.abs((lo + t + 0.5 - centre) / filterScale);
      const v = d < 1 ? 1 - d : 0;
      weights[o * stride + t] = v;
      total += v;
    }
    // A window edge past every sample's reach (a sliver at the border) takes the nearest sample.
    if (total === 0) weights[o * stride] = total = 1;
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
    const first = taps.first[o]!,
      count = taps.count[o]!,
      base = o * taps.stride;
    for (let k = 0; k < c; k++) {
      let sum = 0;
      for (let t = 0; t < count; t++) sum += taps.weights[base + t]! * row[(first + t) * c + k]!;
      out[at + o * c + k] = sum;
    }
  }
}
