// Export in the standard TensorFlow.js layers format (model.json + one weight shard) that stock
// tf.loadLayersModel reads in Node and in browsers, plus metadata.json describing how to feed the model and
// preprocess.js, the code that feeds it (the trainer's own preprocessing, see ../preprocess/preprocess.ts).
// The teacher is assembled into ONE flat graph (encoder -> kept projection layer -> classifier) by the same
// graph functions that built the training models, and takes their weights by layer name.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { tf, tfl } from "../tf.js";
import { encoderGraph, type EncoderConfig } from "../models/resnet.js";
import { classifierHeadGraph, copyWeightsByLayerName, type ClassifierHeadConfig } from "../models/heads.js";
import { EDGE_FILTERS, pixelExpertGraph, setEdgeFilters } from "../models/edgeEnergies.js";
import { preprocessingFor, type Preprocessing } from "../preprocess/preprocess.js";

type SymbolicTensor = ReturnType<typeof tfl.input>;
import { PREPROCESS_MODULE_FILE, preprocessModuleSource } from "../preprocess/preprocessModule.js";

export interface ModelMetadata {
  format: "fewlabel-model/1";
  kind: "teacher" | "student";
  classes: string[];
  inputSize: number;
  channels: 1 | 3;
  /** Exactly how decoded pixels become the input tensor (versioned); preprocess.js beside the model implements it. */
  preprocessing: Preprocessing;
  /** The model outputs logits; apply softmax for probabilities. */
  output: "logits";
  provenance: {
    createdAt: string;
    backend?: string;
    stages?: { name: string; steps: number; finalLoss?: number }[];
    metrics?: Record<string, number>;
    config?: unknown;
    tfjsVersion: string;
  };
}

export function makeMetadata(
  kind: ModelMetadata["kind"],
  classes: string[],
  inputSize: number,
  channels: 1 | 3,
  provenance: Omit<ModelMetadata["provenance"], "createdAt" | "tfjsVersion"> = {},
): ModelMetadata {
  return {
    format: "fewlabel-model/1",
    kind,
    classes,
    inputSize,
    channels,
    preprocessing: preprocessingFor(inputSize, channels),
    output: "logits",
    provenance: { createdAt: new Date().toISOString(), tfjsVersion: tf.version_core, ...provenance },
  };
}

/**
 * A linear classifier on the input's pixels and edge energies (pixelExpertRows: logistic regression folded into one
 * dense layer, see foldStandardisation) whose logits are added to the network's: a product of the two experts,
 * p ~ p_net^w p_pix^(1-w). Made of standard layers (flatten, a fixed convolution, pooling, concatenate, dense, add), so
 * the teacher stays one plain LayersModel.
 */
export interface PixelExpert {
  /** [pixelExpertRows' width, classes] and [classes], on the model's input in [0, 1]. */
  kernel: tf.Tensor2D;
  bias: tf.Tensor1D;
  /** The network's share w of the summed logits; the pixels' is 1 - w. */
  weight: number;
}

/**
 * One flat LayersModel: encoder + classifier head, weights copied from the trained parts by layer name; with a
 * `pixelExpert`, its logits (layer `pixel_logits`) are added to the network's scaled by the weights.
 */
export function assembleTeacher(
  encoderConfig: EncoderConfig,
  headConfig: ClassifierHeadConfig,
  trained: { encoder: tfl.LayersModel; classifierHead: tfl.LayersModel },
  names: { encoderPrefix?: string; headPrefix?: string; classifierName?: string } = {},
  pixelExpert?: PixelExpert,
): tfl.LayersModel {
  const x = tfl.input({ shape: [encoderConfig.inputSize, encoderConfig.inputSize, encoderConfig.channels], name: "image" });
  const h = encoderGraph(x, encoderConfig, names.encoderPrefix ?? "enc");
  const clsName = names.classifierName ?? "cls";
  const logits = classifierHeadGraph(h, headConfig, names.headPrefix ?? "proj", clsName);
  let output = logits;
  if (pixelExpert) {
    const features = pixelExpertGraph(x, encoderConfig.inputSize);
    const pixelLogits = tfl.layers.dense({ name: "pixel_logits", units: headConfig.numClasses }).apply(features) as SymbolicTensor;
    output = tfl.layers.add({ name: "experts_logits" }).apply([logits, pixelLogits]) as SymbolicTensor;
  }
  const flat = tfl.model({ inputs: x, outputs: output, name: "teacher" });
  const copied = new Set([...copyWeightsByLayerName(trained.encoder, flat), ...copyWeightsByLayerName(trained.classifierHead, flat)]);
  if (pixelExpert) {
    const w = pixelExpert.weight;
    const cls = flat.getLayer(`${clsName}_logits`);
    const scaled = tf.tidy(() => cls.getWeights().map((t) => tf.mul(t, w)));
    cls.setWeights(scaled);
    const pixel = tf.tidy(() => [tf.mul(pixelExpert.kernel, 1 - w), tf.mul(pixelExpert.bias, 1 - w)]);
    flat.getLayer("pixel_logits").setWeights(pixel);
    tf.dispose([...scaled, ...pixel]);
    setEdgeFilters(flat, encoderConfig.channels);
    copied.add("pixel_logits").add(EDGE_FILTERS);
  }
  const missing = flat.layers.filter((l) => l.weights.length > 0 && !copied.has(l.name)).map((l) => l.name);
  if (missing.length) throw new Error(`assembleTeacher: no trained weights for ${missing.join(", ")}`);
  return flat;
}

/** Writes model.json, group1-shard1of1.bin, metadata.json and preprocess.js into `dir`. */
export async function exportModel(dir: string, model: tfl.LayersModel, metadata: ModelMetadata): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const shard = "group1-shard1of1.bin";
      const json: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as object,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [shard], weights: artifacts.weightSpecs ?? [] }],
      };
      if (artifacts.trainingConfig) json.trainingConfig = artifacts.trainingConfig;
      await writeFile(join(dir, shard), new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData!)));
      await writeFile(join(dir, "model.json"), JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  await writeFile(join(dir, "metadata.json"), JSON.stringify(metadata, null, 2));
  await writeFile(join(dir, PREPROCESS_MODULE_FILE), await preprocessModuleSource(metadata.preprocessing));
}

/** Loads an exported model from a directory with stock tf.loadLayersModel (Node, no tfjs-node needed). */
export async function loadExportedModel(dir: string): Promise<{ model: tfl.LayersModel; metadata: ModelMetadata }> {
  const handler: tf.io.IOHandler = {
    load: async () => {
      const json = JSON.parse(await readFile(join(dir, "model.json"), "utf8")) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs = manifest.flatMap((g) => g.weights);
        const buffers = await Promise.all(manifest.flatMap((g) => g.paths).map((p) => readFile(join(dir, p))));
        const total = Buffer.concat(buffers);
        return [specs, total.buffer.slice(total.byteOffset, total.byteOffset + total.byteLength)];
      });
    },
  };
  const model = await tfl.loadLayersModel(handler);
  const metadata = JSON.parse(await readFile(join(dir, "metadata.json"), "utf8")) as ModelMetadata;
  return { model, metadata };
}
