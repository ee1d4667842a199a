// preprocess.js, the file shipped beside every exported model: preprocess.ts (the code the trainer and the web demo
// run) compiled to a plain ES module with esbuild when the model is exported, so it cannot drift from that code,
// plus this model's preprocessing object and a one-argument `preprocess(imageData)`.
import { readFile } from "node:fs/promises";
import { transform } from "esbuild";
import type { Preprocessing } from "./preprocess.js";

export const PREPROCESS_MODULE_FILE = "preprocess.js";

let compiled: Promise<string> | undefined;

async function compiledSource(): Promise<string> {
  compiled ??= readFile(new URL("./preprocess.ts", import.meta.url), "utf8")
    .then((source) => transform(source, { loader: "ts", format: "esm", target: "es2020", sourcefile: "preprocess.ts" }))
    .then((r) => r.code);
  return compiled;
}

/** The text of preprocess.js for a model with this preprocessing. */
export async function preprocessModuleSource(p: Preprocessing): Promise<string> {
  const shape = [1, p.height, p.width, p.channels];
  return `// fewlabel preprocessing, version ${p.version}: how this model's input is made from decoded pixels, exactly as the
// trainer made it (generated from fewlabel's packages/ml/src/preprocess/preprocess.ts). No imports; use it with
// stock TensorFlow.js:
//   import { preprocess, shape } from "./preprocess.js";
//   const model = await tf.loadLayersModel("model.json");
//   const logits = model.predict(tf.tensor4d(preprocess(canvas.getContext("2d").getImageData(0, 0, w, h)), shape));
// preprocess() takes an ImageData or any { data, width, height, channels? } of 8-bit gray, gray+alpha, RGB or RGBA
// pixels and returns a Float32Array of ${shape.slice(1).join(" x ")} values in [0, 1] (the model outputs logits).

${await compiledSource()}
/** This model's preprocessing (the same object as metadata.json's "preprocessing"). */
export const preprocessing = ${JSON.stringify(p)};
/** The shape of one preprocessed image as a batch of one: tf.tensor4d(preprocess(image), shape). */
export const shape = ${JSON.stringify(shape)};
/** Decoded pixels -> this model's input. */
export function preprocess(image) {
  return preprocessPixels(image, preprocessing);
}
`;
}
