// The outside scorer of `npm run bench:loop`, run as its own Node process: plain JavaScript that imports only stock
// TensorFlow.js (@tensorflow/tfjs, its stock wasm backend, cpu as a fallback) and sharp, never fewlabel's code or
// training kernels, so it sees a downloaded model exactly as someone who downloaded it would.
//
//   node score-models.mjs <test dir> <model dir> [<model dir> ...]
//
// <test dir> holds the test images as PNGs and test.json {classes: [name], files: [file], labels: [class index]}.
// Each <model dir> holds what GET /api/models/:id/:kind/<file> served: model.json, its weight shards, metadata.json
// and, when the export has it, preprocess.js (the exact input preprocessing). The model is loaded with
// tf.loadLayersModel from those files. Prints one JSON line: {results: [{dir, testAccuracy (percent), preprocessing,
// count, backend, predicted (the class index of each test image, in test.json's classes)}]}.
import fs from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { setThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import sharp from "sharp";

const [testDir, ...modelDirs] = process.argv.slice(2);
if (!testDir || modelDirs.length === 0) {
  console.error("usage: node score-models.mjs <test dir> <model dir> [<model dir> ...]");
  process.exit(2);
}

// One thread: the product being measured shares the machine.
setThreadsCount(1);
const backend = (await tf.setBackend("wasm").catch(() => false)) ? "wasm" : (await tf.setBackend("cpu"), "cpu");
await tf.ready();

const test = JSON.parse(await fs.readFile(path.join(testDir, "test.json"), "utf8"));
const pngs = await Promise.all(test.files.map((f) => fs.readFile(path.join(testDir, f))));

/** The file-system IOHandler a Node user writes for tf.loadLayersModel (file:// needs tfjs-node). */
function fileHandler(dir) {
  return {
    async load() {
      const json = JSON.parse(await fs.readFile(path.join(dir, "model.json"), "utf8"));
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs = manifest.flatMap((g) => g.weights);
        const bytes = Buffer.concat(await Promise.all(manifest.flatMap((g) => g.paths).map((p) => fs.readFile(path.join(dir, p)))));
        return [specs, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)];
      });
    },
  };
}

/** Decodes a PNG to raw pixels with sharp: one channel for a grayscale model, sRGB otherwise. */
async function decode(png, channels) {
  const img = sharp(png).removeAlpha();
  const { data, info } = await (channels === 1 ? img.toColourspace("b-w") : img.toColourspace("srgb")).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: info.channels };
}

/** A [1, s, s, c] input as metadata.json describes it: scale, then a bilinear resize to the input size. */
function fromMetadata(meta, image) {
  return tf.tidy(() => {
    const x = tf.tensor3d(image.data, [image.height, image.width, image.channels], "float32").mul(meta.preprocessing?.scale ?? 1 / 255);
    const s = meta.inputSize;
    const sized = image.width === s && image.height === s ? x : tf.image.resizeBilinear(x, [s, s], false, true);
    return sized.expandDims(0);
  });
}

/**
 * The export's own preprocessing, when it ships one. Accepted shapes of the module: `preprocess(image, tf)` (named or
 * default export) taking {data, width, height, channels} raw pixels and returning a [1, s, s, c] or [s, s, c] tensor
 * or a Float32Array of s*s*c values.
 */
async function loadPreprocess(dir, meta) {
  const file = path.join(dir, "preprocess.js");
  try {
    await fs.access(file);
  } catch {
    return null;
  }
  // Copied to .mjs so Node loads it as a module whatever the folder's package.json says.
  const mjs = path.join(dir, "preprocess.mjs");
  await fs.copyFile(file, mjs);
  const mod = await import(pathToFileURL(mjs).href);
  const fn = mod.preprocess ?? mod.default?.preprocess ?? mod.default;
  if (typeof fn !== "function") throw new Error("preprocess.js exports no preprocess function");
  const s = meta.inputSize;
  const c = meta.channels;
  return (image) =>
    tf.tidy(() => {
      const out = fn(image, tf, meta);
      const t = out instanceof tf.Tensor ? out : tf.tensor(out, [s, s, c], "float32");
      return t.rank === 3 ? t.expandDims(0) : t;
    });
}

async function score(dir) {
  const meta = JSON.parse(await fs.readFile(path.join(dir, "metadata.json"), "utf8"));
  const model = await tf.loadLayersModel(fileHandler(dir));
  const custom = await loadPreprocess(dir, meta);
  const prepare = custom ?? ((image) => fromMetadata(meta, image));
  const classOf = meta.classes.map((name) => test.classes.indexOf(name));
  if (classOf.some((c) => c < 0)) throw new Error(`model classes ${JSON.stringify(meta.classes)} do not name the test classes ${JSON.stringify(test.classes)}`);
  const predicted = new Int32Array(pngs.length);
  const batch = 200;
  for (let start = 0; start < pngs.length; start += batch) {
    const images = await Promise.all(pngs.slice(start, start + batch).map((png) => decode(png, meta.channels)));
    const inputs = images.map(prepare);
    const top = tf.tidy(() => tf.argMax(model.predict(tf.concat(inputs, 0)), 1));
    predicted.set(await top.data(), start);
    tf.dispose([top, ...inputs]);
  }
  model.dispose();
  for (let i = 0; i < predicted.length; i++) predicted[i] = classOf[predicted[i]];
  let correct = 0;
  for (let i = 0; i < predicted.length; i++) if (predicted[i] === test.labels[i]) correct++;
  return {
    dir,
    testAccuracy: (100 * correct) / predicted.length,
    preprocessing: custom ? "preprocess.js" : `metadata.json (tf.image.resizeBilinear to ${meta.inputSize})`,
    count: predicted.length,
    backend,
    predicted,
  };
}

const results = [];
for (const dir of modelDirs) {
  try {
    results.push(await score(dir));
  } catch (err) {
    results.push({ dir, testAccuracy: null, error: err instanceof Error ? err.message : String(err) });
  }
}
console.log(JSON.stringify({ results: results.map((r) => (r.predicted ? { ...r, predicted: Array.from(r.predicted) } : r)) }));
