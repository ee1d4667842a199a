// Pixels -> the student's input tensor in the browser, as the exported model's metadata.json says (see
// packages/ml/src/persistence/export.ts): flattened onto white like the server's training copies, resized bilinearly
// to inputSize x inputSize (stretched, as the trainer does), grayscale by luma when the model has one channel,
// scaled to [0, 1], NHWC with a batch of one.
import type * as tfjs from "@tensorflow/tfjs";

/** The part of metadata.json ("fewlabel-model/1") that inference needs. */
export interface StudentMetadata {
  format: string;
  kind: "teacher" | "student";
  classes: string[];
  inputSize: number;
  channels: 1 | 3;
  preprocessing: { layout: "NHWC"; colorSpace: "grayscale" | "rgb"; scale: number; resize: "bilinear" };
  output: "logits" | "probabilities";
}

/** Larger images are first drawn down to this side (the browser's smoothing) so the tensor stays small. */
const MAX_SIDE = 1024;

export function toInputTensor(tf: typeof tfjs, source: CanvasImageSource & { width: number; height: number }, meta: StudentMetadata): tfjs.Tensor4D {
  const w0 = "naturalWidth" in source ? (source as HTMLImageElement).naturalWidth : source.width;
  const h0 = "naturalHeight" in source ? (source as HTMLImageElement).naturalHeight : source.height;
  const shrink = Math.min(1, MAX_SIDE / Math.max(w0, h0));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(w0 * shrink));
  canvas.height = Math.max(1, Math.round(h0 * shrink));
  const ctx = canvas.getContext("2d")!;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
  return tf.tidy(() => {
    const rgb = tf.browser.fromPixels(canvas, 3).toFloat();
    const resized = tf.image.resizeBilinear(rgb, [meta.inputSize, meta.inputSize]);
    const pixels = meta.channels === 1 ? tf.sum(tf.mul(resized, tf.tensor1d([0.299, 0.587, 0.114])), -1, true) : resized;
    return tf.mul(pixels, meta.preprocessing.scale).expandDims(0) as tfjs.Tensor4D;
  });
}
