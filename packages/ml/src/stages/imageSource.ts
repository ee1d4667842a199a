// Where a stage's images come from: any set addressable by index (a tensor, or 8-bit images kept at their own size).
import { tf } from "../tf.js";
import type { Pixels } from "../preprocess/preprocess.js";
import type { PixelSourceOptions } from "../preprocess/pixelSource.js";

/** A set of images addressable by index; `get` returns NHWC float32 in [0, 1]. */
export interface ImageSource {
  readonly count: number;
  /** The images as the model is given them outside training (its input size, the centred view). */
  get(indices: ArrayLike<number>): tf.Tensor4D;
  /**
   * Where a source keeps images larger than, or shaped unlike, the input: each image's width / height, and training
   * crops taken on its own pixels (boxes as drawCropBoxes makes them). Without these, crops are cut from `get`.
   */
  readonly crops?: {
    aspects(indices: ArrayLike<number>): ArrayLike<number>;
    take(indices: ArrayLike<number>, boxes: Float32Array): tf.Tensor4D;
  };
  /**
   * A source of 8-bit images (pixelImageSource): the images themselves and how they become the model's input, so that
   * another thread can make batches of them (../parallel/batchPrefetcher.ts).
   */
  readonly pixels?: {
    take(indices: ArrayLike<number>): Pixels[];
    options: PixelSourceOptions;
  };
}

/** An in-memory image source over a [N, H, W, C] tensor (kept, not copied). */
export function tensorImageSource(images: tf.Tensor4D): ImageSource {
  return {
    count: images.shape[0],
    get: (indices) => tf.tidy(() => tf.gather(images, tf.tensor1d(Array.from(indices), "int32")) as tf.Tensor4D),
  };
}
