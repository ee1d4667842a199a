// ResNet-style encoder (the SimCLR backbone). Built as a graph function so that the same code makes the
// training model and, at export, a flat single-graph model with identical layer names (see ./assemble.ts).
import { tfl } from "../tf.js";
import { batchNormalization } from "./batchNorm.js";

type SymbolicTensor = ReturnType<typeof tfl.input>;

export interface EncoderConfig {
  /** Square input side, 28 to 224 pixels. */
  inputSize: number;
  /** 1 (grayscale) or 3 (RGB). */
  channels: 1 | 3;
  /** Output channels per stage, e.g. [16, 32, 64, 128] (ResNet-18 at base width 16). */
  widths: number[];
  /** Basic blocks per stage, e.g. [2, 2, 2, 2] for ResNet-18. */
  blocks: number[];
  /**
   * "cifar": 3x3 stride-1 stem without max-pool (small images); "imagenet": 7x7 stride-2 stem + 3x3 max-pool.
   * Default: cifar up to 64 px.
   */
  stem?: "cifar" | "imagenet";
  /** Seed for the weight initialisers (reproducible runs); default: random. */
  seed?: number;
}

/** CIFAR-style ResNet-18 with base width `width` (16 -> 16/32/64/128 channels). */
export function resnet18Config(inputSize: number, channels: 1 | 3, width = 16): EncoderConfig {
  return { inputSize, channels, widths: [width, width * 2, width * 4, width * 8], blocks: [2, 2, 2, 2] };
}

export function validateEncoderConfig(c: EncoderConfig): void {
  if (!(Number.isInteger(c.inputSize) && c.inputSize >= 28 && c.inputSize <= 224)) throw new Error(`inputSize ${c.inputSize}: expected a whole number of pixels from 28 to 224`);
  if (c.channels !== 1 && c.channels !== 3) throw new Error(`channels ${c.channels}: expected 1 or 3`);
  if (c.widths.length === 0 || c.widths.length !== c.blocks.length) throw new Error("widths and blocks must have the same, non-zero length");
}

export const encoderFeatureDim = (c: EncoderConfig): number => c.widths[c.widths.length - 1]!;

let seedCounter: () => number | undefined = () => undefined;
/** Initialiser seeds for one model build: seed, seed+1, ... (undefined: unseeded). */
export function seeds(seed: number | undefined): () => number | undefined {
  let i = 0;
  return () => (seed === undefined ? undefined : seed + i++);
}
const conv = (name: string, filters: number, kernelSize: number, strides: number) =>
  tfl.layers.conv2d({
    name,
    filters,
    kernelSize,
    strides,
    padding: "same",
    useBias: false,
    kernelInitializer: tfl.initializers.heNormal({ seed: seedCounter() }),
  });
const bn = (name: string, zeroGamma = false) => batchNormalization({ name, momentum: 0.9, epsilon: 1e-5, gammaInitializer: zeroGamma ? "zeros" : "ones" });
const relu = (name: string) => tfl.layers.reLU({ name });

/** Applies the encoder's layers to `x` and returns the pooled feature vector. */
export function encoderGraph(x: SymbolicTensor, c: EncoderConfig, prefix = "enc"): SymbolicTensor {
  validateEncoderConfig(c);
  seedCounter = seeds(c.seed);
  const stem = c.stem ?? (c.inputSize <= 64 ? "cifar" : "imagenet");
  let h: SymbolicTensor;
  if (stem === "cifar") {
    h = conv(`${prefix}_stem_conv`, c.widths[0]!, 3, 1).apply(x) as SymbolicTensor;
  } else {
    h = conv(`${prefix}_stem_conv`, c.widths[0]!, 7, 2).apply(x) as SymbolicTensor;
  }
  h = bn(`${prefix}_stem_bn`).apply(h) as SymbolicTensor;
  h = relu(`${prefix}_stem_relu`).apply(h) as SymbolicTensor;
  if (stem === "imagenet") {
    h = tfl.layers.maxPooling2d({ name: `${prefix}_stem_pool`, poolSize: 3, strides: 2, padding: "same" }).apply(h) as SymbolicTensor;
  }
  let inC = c.widths[0]!;
  c.widths.forEach((width, s) => {
    for (let b = 0; b < c.blocks[s]!; b++) {
      const stride = b === 0 && s > 0 ? 2 : 1;
      const p = `${prefix}_s${s + 1}b${b + 1}`;
      let y = conv(`${p}_conv1`, width, 3, stride).apply(h) as SymbolicTensor;
      y = bn(`${p}_bn1`).apply(y) as SymbolicTensor;
      y = relu(`${p}_relu1`).apply(y) as SymbolicTensor;
      y = conv(`${p}_conv2`, width, 3, 1).apply(y) as SymbolicTensor;
      // Zero-initialised last BN gamma: each block starts as the identity (Goyal et al.), which helps large batches.
      y = bn(`${p}_bn2`, true).apply(y) as SymbolicTensor;
      let shortcut = h;
      if (stride !== 1 || inC !== width) {
        shortcut = conv(`${p}_short_conv`, width, 1, stride).apply(h) as SymbolicTensor;
        shortcut = bn(`${p}_short_bn`).apply(shortcut) as SymbolicTensor;
      }
      h = tfl.layers.add({ name: `${p}_add` }).apply([y, shortcut]) as SymbolicTensor;
      h = relu(`${p}_relu2`).apply(h) as SymbolicTensor;
      inC = width;
    }
  });
  return tfl.layers.globalAveragePooling2d({ name: `${prefix}_pool` }).apply(h) as SymbolicTensor;
}

export function createEncoder(c: EncoderConfig, prefix = "enc"): tfl.LayersModel {
  const x = tfl.input({ shape: [c.inputSize, c.inputSize, c.channels], name: `${prefix}_input` });
  return tfl.model({ inputs: x, outputs: encoderGraph(x, c, prefix), name: `${prefix}oder` });
}
