// Heads on top of the encoder's feature vector.
// SimCLR v2 projection head: 3 fully connected layers with batch norm (ReLU after the first two); the
// contrastive loss sees its output. Fine-tuning starts from the head's FIRST layer (SimCLR v2, section 2):
// the classifier is encoder -> projection layer 1 -> linear classifier, with layer 1's pretrained weights.
import { tfl } from "../tf.js";
import { batchNormalization } from "./batchNorm.js";
import { seeds } from "./resnet.js";

type SymbolicTensor = ReturnType<typeof tfl.input>;

export interface ProjectionHeadConfig {
  inputDim: number;
  /** Width of the hidden layers (SimCLR v2 uses the encoder's feature width). */
  hiddenDim: number;
  /** Dimension of the contrastive embedding. */
  outputDim: number;
  /** Number of dense layers, 3 in SimCLR v2. */
  layers?: number;
  seed?: number;
}

let nextSeed: () => number | undefined = () => undefined;
const dense = (name: string, units: number, useBias = false) => tfl.layers.dense({ name, units, useBias, kernelInitializer: tfl.initializers.glorotUniform({ seed: nextSeed() }) });
// (SimCLR v2's last BN has no scale; tfjs-layers 4.22 cannot train a BN with scale: false, so it keeps one.)
const bn = (name: string) => batchNormalization({ name, momentum: 0.9, epsilon: 1e-5 });

/** Projection layer `i` (0-based): dense -> BN (-> ReLU except on the last layer). */
function projectionLayer(h: SymbolicTensor, i: number, units: number, last: boolean, prefix: string): SymbolicTensor {
  let y = dense(`${prefix}_dense${i + 1}`, units).apply(h) as SymbolicTensor;
  y = bn(`${prefix}_bn${i + 1}`).apply(y) as SymbolicTensor;
  if (!last) y = tfl.layers.reLU({ name: `${prefix}_relu${i + 1}` }).apply(y) as SymbolicTensor;
  return y;
}

export function projectionHeadGraph(h: SymbolicTensor, c: ProjectionHeadConfig, prefix = "proj"): SymbolicTensor {
  const n = c.layers ?? 3;
  nextSeed = seeds(c.seed);
  for (let i = 0; i < n; i++) h = projectionLayer(h, i, i === n - 1 ? c.outputDim : c.hiddenDim, i === n - 1, prefix);
  return h;
}

export function createProjectionHead(c: ProjectionHeadConfig, prefix = "proj"): tfl.LayersModel {
  const h = tfl.input({ shape: [c.inputDim], name: `${prefix}_input` });
  return tfl.model({ inputs: h, outputs: projectionHeadGraph(h, c, prefix), name: prefix });
}

export interface ClassifierHeadConfig {
  inputDim: number;
  numClasses: number;
  /**
   * Width of the kept projection layer (SimCLR v2 fine-tunes from the head's first layer), or 0 for a plain
   * linear classifier on the encoder features.
   */
  hiddenDim: number;
  seed?: number;
}

/** Returns logits (no softmax: losses and pseudo-labelling apply it with a temperature). */
export function classifierHeadGraph(h: SymbolicTensor, c: ClassifierHeadConfig, prefix = "proj", clsName = "cls"): SymbolicTensor {
  let y = h;
  nextSeed = seeds(c.seed);
  if (c.hiddenDim > 0) y = projectionLayer(y, 0, c.hiddenDim, false, prefix);
  return tfl.layers.dense({ name: `${clsName}_logits`, units: c.numClasses, useBias: true, kernelInitializer: tfl.initializers.glorotUniform({ seed: nextSeed() }) }).apply(y) as SymbolicTensor;
}

export function createClassifierHead(c: ClassifierHeadConfig, prefix = "proj", clsName = "cls"): tfl.LayersModel {
  const h = tfl.input({ shape: [c.inputDim], name: `${clsName}_input` });
  return tfl.model({ inputs: h, outputs: classifierHeadGraph(h, c, prefix, clsName), name: clsName });
}

/** Copies weights between models layer by layer, matching layer names; returns the names copied. */
export function copyWeightsByLayerName(from: tfl.LayersModel, to: tfl.LayersModel): string[] {
  const copied: string[] = [];
  for (const layer of to.layers) {
    if (layer.weights.length === 0) continue;
    const src = from.layers.find((l) => l.name === layer.name);
    if (!src) continue;
    layer.setWeights(src.getWeights());
    copied.push(layer.name);
  }
  return copied;
}
