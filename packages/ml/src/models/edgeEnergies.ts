// Oriented edge energies: the image's brightness gradient (Sobel) projected on EDGE_DIRECTIONS directions around the
// circle, rectified and averaged over square cells of a sixteenth of the image's side (at least 2 px), a soft form of
// the histograms of oriented gradients that linear classifiers of shape have long read. The pixel expert's regression
// (the trainer's pixel-expert.ts) reads them beside the raw pixels. Offline (packages/ml/bench/semi.ts --phase=experts,
// Fashion-MNIST, 240 labels, 2,000 unseen images), a 15-epoch teacher's network with logistic regression on its pixels
// read 78.9% and 78.3% (two encoders), with regression on pixels and energies 79.8% and 80.2%; the regressions alone
// 76.0% on pixels, 78.8% on both. Fixed filters, so an exported model carries them as standard layers (a convolution
// with relu, average pooling, flatten), which stock TensorFlow.js runs as the trainer does.
import { tf, tfl } from "../tf.js";
import { pixelRows } from "../eval/features.js";
import { GRAY_WEIGHTS_PER_MILLE } from "../preprocess/preprocess.js";

type SymbolicTensor = ReturnType<typeof tfl.input>;

export const EDGE_DIRECTIONS = 8;

/** The side of a pooling cell for a side x side input: a sixteenth of it, at least 2 px. */
export const edgeCell = (side: number) => Math.max(2, Math.round(side / 16));

/**
 * Conv kernel [3, 3, channels, directions]: luma (the preprocessing's Rec. 601 weights: colour images are
 * differentiated on their brightness, as gray ones are), then the Sobel gradient along each direction (scaled to 1).
 */
export function edgeKernel(channels: number, directions = EDGE_DIRECTIONS): tf.Tensor4D {
  const sx = [
    [-1, 0, 1],
    [-2, 0, 2],
    [-1, 0, 1],
  ];
  const sy = [
    [-1, -2, -1],
    [0, 0, 0],
    [1, 2, 1],
  ];
  const weights = new Float32Array(9 * channels * directions);
  for (let k = 0; k < directions; k++) {
    const angle = (2 * Math.PI * k) / directions;
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 3; b++) {
        const g = (Math.cos(angle) * sx[a]![b]! + Math.sin(angle) * sy[a]![b]!) / 4;
        for (let c = 0; c < channels; c++) weights[((a * 3 + b) * channels + c) * directions + k] = g * (channels === 1 ? 1 : GRAY_WEIGHTS_PER_MILLE[c]! / 1000);
      }
    }
  }
  return tf.tensor4d(weights, [3, 3, channels, directions]);
}

/** [N, S, S, C] images in [0, 1] as [N, (S/cell)^2 * directions] edge energies. */
export function edgeEnergies(images: tf.Tensor4D, directions = EDGE_DIRECTIONS, cell = edgeCell(images.shape[1])): tf.Tensor2D {
  return tf.tidy(() => {
    const kernel = edgeKernel(images.shape[3], directions);
    const energy = tf.avgPool(tf.relu(tf.conv2d(images, kernel, 1, "same")), cell, cell, "valid");
    return tf.reshape(energy, [images.shape[0], -1]) as tf.Tensor2D;
  });
}

/** The pixel expert's feature rows: the raw pixels, then the edge energies. */
export function pixelExpertRows(images: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => tf.concat([pixelRows(images), edgeEnergies(images)], 1) as tf.Tensor2D);
}

/** pixelExpertRows in layers, on the model's input `x` (side x side x channels); weights set by setEdgeFilters. */
export function pixelExpertGraph(x: SymbolicTensor, side: number): SymbolicTensor {
  const pixels = tfl.layers.flatten({ name: "pixel_flatten" }).apply(x) as SymbolicTensor;
  const conv = tfl.layers.conv2d({ name: EDGE_FILTERS, filters: EDGE_DIRECTIONS, kernelSize: 3, padding: "same", useBias: false, activation: "relu", trainable: false });
  const cell = edgeCell(side);
  const pooled = tfl.layers.averagePooling2d({ name: "edge_pool", poolSize: cell, strides: cell, padding: "valid" }).apply(conv.apply(x)) as SymbolicTensor;
  const edges = tfl.layers.flatten({ name: "edge_flatten" }).apply(pooled) as SymbolicTensor;
  return tfl.layers.concatenate({ name: "pixel_features", axis: -1 }).apply([pixels, edges]) as SymbolicTensor;
}

/** The layer of pixelExpertGraph holding the fixed filters. */
export const EDGE_FILTERS = "edge_filters";

/** Sets the fixed filters of pixelExpertGraph's convolution in `model`. */
export function setEdgeFilters(model: tfl.LayersModel, channels: number): void {
  const kernel = edgeKernel(channels);
  model.getLayer(EDGE_FILTERS).setWeights([kernel]);
  kernel.dispose();
}
