// SimCLR augmentations as batched tensor ops, with every random choice drawn from a seeded generator on the
// JS side (so a seed reproduces a batch exactly, on any backend). Images are NHWC floats in [0, 1].
// Pipeline (Chen et al. 2020, appendix A): random resized crop + horizontal flip (one cropAndResize: a flip
// is a crop box with x1 > x2), colour jitter (brightness, contrast, saturation, hue) with probability p,
// random grayscale, Gaussian blur (per-image sigma through one depthwise convolution).
import { tf } from "../tf.js";
import { mulberry32 } from "../util/random.js";
import { GRAY_WEIGHTS_PER_MILLE } from "../preprocess/preprocess.js";

export interface AugmentConfig {
  /** Random resized crop: area fraction and aspect-ratio ranges; null keeps the whole image. */
  crop: { scale: [number, number]; ratio: [number, number] } | null;
  /** Horizontal flip with probability 0.5. */
  flip: boolean;
  /** Colour jitter applied with probability p; strengths as in torchvision's ColorJitter. */
  colorJitter: { p: number; brightness: number; contrast: number; saturation: number; hue: number } | null;
  /** Probability of converting to grayscale (RGB only). */
  grayscale: number;
  /** Gaussian blur with probability p and sigma drawn from the range; kernel ~10% of the image side. */
  blur: { p: number; sigma: [number, number] } | null;
  /**
   * Cutout (DeVries & Taylor 2017), part of FixMatch's strong augmentation: with probability p, a square of side up to
   * `size` x the image side, anywhere (clipped at the edges), is painted mid-gray. Absent: none.
   */
  cutout?: { p: number; size: number } | null;
}

/** What the data says about augmentations, when it has been asked (see ./mirror.ts). */
export interface DataTraits {
  /** Whether a mirrored image still means the same thing; default true (SimCLR's assumption for photos). */
  mirrorSafe?: boolean;
}

/**
 * The smallest crop area for an input size. SimCLR's 8% suits 224 px photos and its CIFAR setting uses 20% at
 * 32 px; at 32 px and below a crop of a fifth of a 28 px glyph or garment upscales a handful of pixels, so tiny
 * images keep at least half (measured on Fashion-MNIST: kNN of the encoder 56% with 50% crops against 53% with 20%
 * after the same 200 steps).
 */
export function minCropScale(inputSize: number): number {
  return inputSize <= 32 ? 0.5 : inputSize <= 64 ? 0.2 : 0.08;
}

/**
 * SimCLR defaults for an input size, channel count and what the data says: crops sized for the input (see
 * minCropScale), no blur on small images (SimCLR's CIFAR setting), only brightness and contrast jitter on grayscale
 * (saturation, hue and grayscale conversion do nothing to them), and horizontal flips only where mirrors keep their
 * meaning.
 */
export function defaultAugmentConfig(inputSize: number, channels: 1 | 3, strength = 0.5, traits: DataTraits = {}): AugmentConfig {
  const small = inputSize <= 64;
  return {
    crop: { scale: [minCropScale(inputSize), 1], ratio: [3 / 4, 4 / 3] },
    flip: traits.mirrorSafe ?? true,
    colorJitter: {
      p: 0.8,
      brightness: 0.8 * strength,
      contrast: 0.8 * strength,
      saturation: channels === 3 ? 0.8 * strength : 0,
      hue: channels === 3 ? 0.2 * strength : 0,
    },
    grayscale: channels === 3 ? 0.2 : 0,
    blur: small ? null : { p: 0.5, sigma: [0.1, 2.0] },
  };
}

/**
 * Light augmentation for supervised fine-tuning and distillation: crop, and flip where mirrors keep their meaning.
 * Crops keep at least 80% of a small input (32 px and below; half of a larger one): CIFAR-style fine-tuning only
 * shifts the image by a few pixels, and on Fashion-MNIST with 300 labels (packages/ml/bench/semi.ts, one 15-epoch
 * encoder) teachers fine-tuned with crops of at least 25%, 50% and 80% read 76.5%, 77.8% and 78.3% on one label draw,
 * with 50%, 65%, 80% and 90% 75.2%, 75.7%, 76.1% and 76.0% on another.
 */
export function fineTuneAugmentConfig(traits: DataTraits = {}, inputSize = 32): AugmentConfig {
  const minScale = inputSize <= 32 ? 0.8 : 0.5;
  return { crop: { scale: [minScale, 1], ratio: [3 / 4, 4 / 3] }, flip: traits.mirrorSafe ?? true, colorJitter: null, grayscale: 0, blur: null };
}

export type Random = () => number;
const uniform = (r: Random, lo: number, hi: number) => lo + (hi - lo) * r();

/**
 * Crop boxes [y1, x1, y2, x2] (fractions of each image's height and width) for a batch, flips folded in as reversed
 * x. `aspects` (width / height of each image; default all square) makes the crop's area and aspect ratio hold in
 * pixels on each image's own shape, as torchvision's RandomResizedCrop; without a crop, the box is the image's
 * centred square (what evaluation sees). The generator is drawn the same way whatever the aspects.
 */
export function drawCropBoxes(n: number, c: AugmentConfig, r: Random, aspects?: ArrayLike<number>): Float32Array {
  const boxes = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) {
    const aspect = aspects ? aspects[i]! : 1;
    let h = Math.min(1, aspect),
      w = Math.min(1, 1 / aspect);
    if (c.crop) {
      const area = uniform(r, c.crop.scale[0], c.crop.scale[1]);
      const logRatio = uniform(r, Math.log(c.crop.ratio[0]), Math.log(c.crop.ratio[1]));
      const ratio = Math.exp(logRatio);
      w = Math.min(1, Math.sqrt((area * ratio) / aspect));
      h = Math.min(1, Math.sqrt((area * aspect) / ratio));
    }
    const y1 = c.crop ? uniform(r, 0, 1 - h) : (r(), (1 - h) / 2);
    const x1 = c.crop ? uniform(r, 0, 1 - w) : (r(), (1 - w) / 2);
    const flip = c.flip && r() < 0.5;
    boxes.set(flip ? [y1, x1 + w, y1 + h, x1] : [y1, x1, y1 + h, x1 + w], i * 4);
  }
  return boxes;
}

const LUMA = GRAY_WEIGHTS_PER_MILLE.map((w) => w / 1000);

function toGray(x: tf.Tensor4D): tf.Tensor4D {
  return x.shape[3] === 1 ? x : (tf.sum(tf.mul(x, tf.tensor1d(LUMA)), 3, true) as tf.Tensor4D);
}

/** Per-image 3x3 hue rotation in YIQ space (a linear approximation of an HSV hue shift). */
function hueMatrices(angles: number[]): Float32Array {
  const toYiq = [
    [0.299, 0.587, 0.114],
    [0.596, -0.274, -0.322],
    [0.211, -0.523, 0.312],
  ];
  const toRgb = [
    [1, 0.956, 0.621],
    [1, -0.272, -0.647],
    [1, -1.106, 1.703],
  ];
  const out = new Float32Array(angles.length * 9);
  angles.forEach((a, n) => {
    const c = Math.cos(a),
      s = Math.sin(a);
    const rot = [
      [1, 0, 0],
      [0, c, -s],
      [0, s, c],
    ];
    // M = toRgb * rot * toYiq; rows act on column vectors, we store M^T for x[1x3] * M^T.
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let v = 0;
        for (let k = 0; k < 3; k++) for (let l = 0; l < 3; l++) v += toRgb[i]![k]! * rot[k]![l]! * toYiq[l]![j]!;
        out[n * 9 + j * 3 + i] = v;
      }
  });
  return out;
}

function gaussianKernels(sigmas: number[], k: number): Float32Array {
  const out = new Float32Array(sigmas.length * k);
  const r = (k - 1) / 2;
  sigmas.forEach((s, n) => {
    let total = 0;
    for (let i = 0; i < k; i++) {
      const v = s <= 0 ? (i === r ? 1 : 0) : Math.exp(-((i - r) ** 2) / (2 * s * s));
      out[n * k + i] = v;
      total += v;
    }
    for (let i = 0; i < k; i++) out[n * k + i]! /= total;
  });
  return out;
}

/** Per-image separable blur: images become the channels of one depthwise convolution. */
function blur(x: tf.Tensor4D, sigmas: number[]): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const k = Math.max(3, Math.round(h * 0.1) | 1);
  const r = (k - 1) / 2;
  const kern = gaussianKernels(sigmas, k); // [n, k]
  // filter[i, 0, n*c + ch, 0] = kern[n, i]
  const f = new Float32Array(k * n * c);
  for (let i = 0; i < k; i++) for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) f[i * n * c + b * c + ch] = kern[b * k + i]!;
  const asChannels = tf.reshape(tf.transpose(x, [1, 2, 0, 3]), [1, h, w, n * c]) as tf.Tensor4D;
  const padded = tf.mirrorPad(
    asChannels,
    [
      [0, 0],
      [r, r],
      [r, r],
      [0, 0],
    ],
    "reflect",
  );
  const vertical = tf.depthwiseConv2d(padded, tf.tensor4d(f, [k, 1, n * c, 1]), 1, "valid");
  const both = tf.depthwiseConv2d(vertical, tf.tensor4d(f, [1, k, n * c, 1]), 1, "valid");
  return tf.transpose(tf.reshape(both, [h, w, n, c]), [2, 0, 1, 3]) as tf.Tensor4D;
}

/**
 * Augments a batch of images. `seed` (or a generator) fixes every random choice.
 * Returns a new tensor of the same shape, values in [0, 1].
 */
export function augment(images: tf.Tensor4D, config: AugmentConfig, seed: number | Random): tf.Tensor4D {
  const r = typeof seed === "number" ? mulberry32(seed) : seed;
  const [n, h, w] = images.shape;
  return tf.tidy(() => {
    const boxes = drawCropBoxes(n, config, r);
    const crops = tf.image.cropAndResize(images, tf.tensor2d(boxes, [n, 4]), tf.range(0, n, 1, "int32") as tf.Tensor1D, [h, w], "bilinear");
    return augmentCrops(crops, config, r);
  });
}

/**
 * Everything after the crop (colour jitter, grayscale, blur, cutout) on crops already taken, drawing from the
 * generator where `augment` goes on after drawing the boxes: crops taken elsewhere (an image source that crops each
 * image on its own pixels) and the generator's next draws give what `augment` would give.
 */
export function augmentCrops(crops: tf.Tensor4D, config: AugmentConfig, r: Random): tf.Tensor4D {
  const [n, h, w, c] = crops.shape;
  return tf.tidy(() => {
    let x = crops;
    const j = config.colorJitter;
    if (j) {
      const on = Array.from({ length: n }, () => r() < j.p);
      const factor = (strength: number) =>
        tf.tensor4d(
          on.map((o) => (o && strength > 0 ? uniform(r, Math.max(0, 1 - strength), 1 + strength) : 1)),
          [n, 1, 1, 1],
        );
      x = tf.mul(x, factor(j.brightness));
      const mean = tf.mean(toGray(x), [1, 2, 3], true);
      x = tf.add(tf.mul(tf.sub(x, mean), factor(j.contrast)), mean);
      if (c === 3 && j.saturation > 0) {
        const g = toGray(x);
        x = tf.add(tf.mul(tf.sub(x, g), factor(j.saturation)), g);
      }
      if (c === 3 && j.hue > 0) {
        const angles = on.map((o) => (o ? uniform(r, -j.hue, j.hue) * 2 * Math.PI : 0));
        const m = tf.tensor3d(hueMatrices(angles), [n, 3, 3]);
        x = tf.reshape(tf.matMul(tf.reshape(x, [n, h * w, 3]), m), [n, h, w, 3]);
      }
      x = tf.clipByValue(x, 0, 1);
    }
    if (c === 3 && config.grayscale > 0) {
      const m = tf.tensor4d(
        Array.from({ length: n }, () => (r() < config.grayscale ? 1 : 0)),
        [n, 1, 1, 1],
      );
      x = tf.add(tf.mul(x, tf.sub(1, m)), tf.mul(toGray(x), m));
    }
    const b = config.blur;
    if (b) {
      const sigmas = Array.from({ length: n }, () => (r() < b.p ? uniform(r, b.sigma[0], b.sigma[1]) : 0));
      if (sigmas.some((s) => s > 0)) x = blur(x as tf.Tensor4D, sigmas);
    }
    const cut = config.cutout;
    if (cut) {
      const keep = cutoutMask(n, h, w, cut, r);
      if (keep) x = tf.add(tf.mul(x, keep), tf.mul(tf.sub(1, keep), 0.5));
    }
    return tf.clipByValue(x, 0, 1) as tf.Tensor4D;
  });
}

/** Cutout's mask [n, h, w, 1]: 0 inside each image's square, 1 elsewhere; null when no image drew one. */
function cutoutMask(n: number, h: number, w: number, cut: { p: number; size: number }, r: Random): tf.Tensor4D | null {
  const mask = new Float32Array(n * h * w).fill(1);
  let any = false;
  for (let i = 0; i < n; i++) {
    if (r() >= cut.p) continue;
    const side = uniform(r, 0, cut.size);
    const cy = r() * h,
      cx = r() * w;
    const y1 = Math.max(0, Math.round(cy - (side * h) / 2)),
      y2 = Math.min(h, Math.round(cy + (side * h) / 2));
    const x1 = Math.max(0, Math.round(cx - (side * w) / 2)),
      x2 = Math.min(w, Math.round(cx + (side * w) / 2));
    for (let y = y1; y < y2; y++) mask.fill(0, i * h * w + y * w + x1, i * h * w + y * w + x2);
    any ||= y2 > y1 && x2 > x1;
  }
  return any ? tf.tensor4d(mask, [n, h, w, 1]) : null;
}
