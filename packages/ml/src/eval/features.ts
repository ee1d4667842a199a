// Feature rows of images: an encoder's embeddings in inference mode (batch norm on its moving statistics), batch by
// batch so a large set never sits in memory as one activation tensor, or the raw pixels themselves.
import { tf, type tfl } from "../tf.js";
import type { ImageSource } from "../stages/imageSource.js";

/** Encoder features [n, d] of the given images (every image of the source when `indices` is omitted). */
export async function encoderFeatures(encoder: tfl.LayersModel, images: ImageSource, indices?: ArrayLike<number>, batchSize = 256): Promise<tf.Tensor2D> {
  const count = indices ? indices.length : images.count;
  const parts: tf.Tensor2D[] = [];
  for (let s = 0; s < count; s += batchSize) {
    const batch = Array.from({ length: Math.min(batchSize, count - s) }, (_, i) => (indices ? indices[s + i]! : s + i));
    parts.push(tf.tidy(() => encoder.apply(images.get(batch), { training: false }) as tf.Tensor2D));
    await new Promise((r) => setTimeout(r, 0));
  }
  if (parts.length === 0) return tf.zeros([0, encoder.outputs[0]!.shape[1] as number]) as tf.Tensor2D;
  const all = tf.concat(parts, 0) as tf.Tensor2D;
  parts.forEach((p) => p.dispose());
  return all;
}

/** [N, H, W, C] images as [N, H*W*C] rows. */
export function pixelRows(images: tf.Tensor4D): tf.Tensor2D {
  return tf.reshape(images, [images.shape[0], -1]) as tf.Tensor2D;
}
