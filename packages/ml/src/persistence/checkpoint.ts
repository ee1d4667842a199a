// Resumable training checkpoints: every weight of the named models (by layer and weight name, so a rebuilt
// model in a fresh process takes them back), the optimizer's slots (positional, as tf's optimizers keep
// them), the next step and any JSON the caller adds. Two files in a directory, written then renamed so a
// crash never leaves a half-written checkpoint. Node only.
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { tf, type tfl } from "../tf.js";

type NamedTensor = { name: string; tensor: tf.Tensor };

export interface CheckpointInfo<E = unknown> {
  stage: string;
  nextStep: number;
  extra?: E;
}

interface CheckpointFile<E> extends CheckpointInfo<E> {
  format: "fewlabel-checkpoint/1";
  savedAt: string;
  optimizerWeights: number;
  specs: tf.io.WeightsManifestEntry[];
}

function namedModelWeights(key: string, model: tfl.LayersModel): NamedTensor[] {
  return model.layers.flatMap((layer) => {
    const values = layer.getWeights();
    return layer.weights.map((w, i) => ({ name: `${key}::${layer.name}::${w.originalName}`, tensor: values[i]! }));
  });
}

export async function saveCheckpoint<E>(dir: string, info: CheckpointInfo<E>, models: Record<string, tfl.LayersModel>, optimizer?: tf.Optimizer): Promise<void> {
  await mkdir(dir, { recursive: true });
  const modelWeights = Object.entries(models).flatMap(([k, m]) => namedModelWeights(k, m));
  const optWeights = optimizer ? ((await optimizer.getWeights()) as NamedTensor[]) : [];
  const tensors = [...modelWeights, ...optWeights.map((w, i) => ({ name: `optimizer::${i}::${w.name}`, tensor: w.tensor }))];
  const { data, specs } = await tf.io.encodeWeights(tensors);
  const file: CheckpointFile<E> = { format: "fewlabel-checkpoint/1", savedAt: new Date().toISOString(), ...info, optimizerWeights: optWeights.length, specs };
  await writeFile(join(dir, "weights.bin.tmp"), new Uint8Array(data));
  await writeFile(join(dir, "checkpoint.json.tmp"), JSON.stringify(file));
  await rename(join(dir, "weights.bin.tmp"), join(dir, "weights.bin"));
  await rename(join(dir, "checkpoint.json.tmp"), join(dir, "checkpoint.json"));
}

/**
 * Loads weights into the given (freshly built) models and, if given, the optimizer's state. Returns the
 * stage, next step and extra data.
 */
export async function loadCheckpoint<E = unknown>(dir: string, models: Record<string, tfl.LayersModel>, optimizer?: tf.Optimizer): Promise<CheckpointInfo<E>> {
  const file = JSON.parse(await readFile(join(dir, "checkpoint.json"), "utf8")) as CheckpointFile<E>;
  if (file.format !== "fewlabel-checkpoint/1") throw new Error(`${dir}: not a fewlabel checkpoint`);
  const buf = await readFile(join(dir, "weights.bin"));
  const map = tf.io.decodeWeights(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), file.specs);
  try {
    for (const [key, model] of Object.entries(models)) {
      for (const layer of model.layers) {
        if (layer.weights.length === 0) continue;
        layer.setWeights(
          layer.weights.map((w) => {
            const t = map[`${key}::${layer.name}::${w.originalName}`];
            if (!t) throw new Error(`checkpoint has no weight ${key}/${layer.name}/${w.originalName}`);
            return t;
          }),
        );
      }
    }
    if (optimizer && file.optimizerWeights > 0) {
      const weights = file.specs.filter((s) => s.name.startsWith("optimizer::")).map((s) => ({ name: s.name.split("::").slice(2).join("::"), tensor: map[s.name]! }));
      await optimizer.setWeights(weights);
    }
  } finally {
    tf.dispose(Object.values(map));
  }
  return { stage: file.stage, nextStep: file.nextStep, extra: file.extra };
}
