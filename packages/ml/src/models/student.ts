// A small CNN for the browser: the distillation target. Plain 3x3 convolutions with batch norm (no depthwise
// convolutions: their gradients are missing on wasm), a stride-2 convolution per stage, global average pooling.
import { tfl } from "../tf.js";
import { batchNormalization } from "./batchNorm.js";
import { seeds } from "./resnet.js";

export interface StudentConfig {
  inputSize: number;
  channels: 1 | 3;
  numClasses: number;
  /** Channels per stage; default [16, 32, 64]. */
  widths?: number[];
  seed?: number;
}

export function createStudent(c: StudentConfig, prefix = "student"): tfl.LayersModel {
  const widths = c.widths ?? [16, 32, 64];
  const nextSeed = seeds(c.seed);
  const x = tfl.input({ shape: [c.inputSize, c.inputSize, c.channels], name: `${prefix}_input` });
  let h = x;
  widths.forEach((w, i) => {
    for (const [j, stride] of (i === 0 ? [1] : [2, 1]).entries()) {
      const p = `${prefix}_s${i + 1}c${j + 1}`;
      h = tfl.layers
        .conv2d({ name: `${p}_conv`, filters: w, kernelSize: 3, strides: stride, padding: "same", useBias: false, kernelInitializer: tfl.initializers.heNormal({ seed: nextSeed() }) })
        .apply(h) as typeof x;
      h = batchNormalization({ name: `${p}_bn`, momentum: 0.9, epsilon: 1e-5 }).apply(h) as typeof x;
      h = tfl.layers.reLU({ name: `${p}_relu` }).apply(h) as typeof x;
    }
  });
  h = tfl.layers.globalAveragePooling2d({ name: `${prefix}_pool` }).apply(h) as typeof x;
  const logits = tfl.layers.dense({ name: `${prefix}_logits`, units: c.numClasses, kernelInitializer: tfl.initializers.glorotUniform({ seed: nextSeed() }) }).apply(h) as typeof x;
  return tfl.model({ inputs: x, outputs: logits, name: prefix });
}
