// Pixels -> the student's input tensor in the browser, by the one preprocessing of fewlabel models
// (@fewlabel/ml/preprocess: the code the trainer ran on its training images, shipped with every export as
// preprocess.js). The picture is drawn at its own size (up to MAX_SIDE) onto white (the server's training copies are flattened onto
// white too), read back as ImageData and handed over unchanged: resizing, gray conversion and scaling all happen in
// that one function, so a PNG gives this page bit for bit the input the trainer computed from it.
import { type Preprocessing, preprocessingOf, preprocessPixels } from "@fewlabel/ml/preprocess";
import type * as tfjs from "@tensorflow/tfjs";

/** The part of metadata.json ("fewlabel-model/1") that inference needs. */
export interface StudentMetadata {
  format: string;
  kind: "teacher" | "student";
  classes: string[];
  inputSize: number;
  channels: 1 | 3;
  /** Versioned since preprocess.js; models exported before have an unversioned description (see preprocessingOf). */
  preprocessing: Preprocessing | { version?: undefined; colorSpace: "grayscale" | "rgb" };
  output: "logits" | "probabilities";
}

/**
 * Pictures larger than this are first drawn down to it by the browser (its own smoothing, so not bit for bit what the
 * trainer would compute), because bigger canvases fail on some browsers (iOS Safari allows 4096 x 4096).
 */
const MAX_SIDE = 4096;

export function toInputTensor(tf: typeof tfjs, source: CanvasImageSource & { width: number; height: number }, meta: StudentMetadata): tfjs.Tensor4D {
  const width = "naturalWidth" in source ? (source as HTMLImageElement).naturalWidth : source.width;
  const height = "naturalHeight" in source ? (source as HTMLImageElement).naturalHeight : source.height;
  const shrink = Math.min(1, MAX_SIDE / Math.max(width, height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(width * shrink));
  canvas.height = Math.max(1, Math.round(height * shrink));
  const ctx = canvas.getContext("2d", { willReadFrequently: true })!;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
  const p = preprocessingOf(meta);
  const input = preprocessPixels(ctx.getImageData(0, 0, canvas.width, canvas.height), p);
  return tf.tensor4d(input, [1, p.height, p.width, p.channels]);
}
