// An ImageSource over decoded 8-bit images of any size and shape (the trainer's working copies): each batch is made
// when it is asked for, so memory holds bytes, not one float tensor of the project. Evaluation views go through the
// model's preprocessing (the centred window, as preprocess.js does in the browser); training crops are windows of
// each image's own pixels, resampled by the same filter, so a wide photo is cropped on its real aspect ratio.
import { tf } from "../tf.js";
import type { ImageSource } from "../stages/imageSource.js";
import { convertChannels, cropPixels, type Pixels, PREPROCESSING_VERSION, type PreprocessingVersion, resizeToInput } from "./preprocess.js";

export interface PixelSourceOptions {
  /** The model's square input side. */
  inputSize: number;
  /** The model's channels: gray images are replicated for an RGB model, colour ones become luma for a gray one. */
  channels: 1 | 3;
  /** The preprocessing the model is made with (default: the current one). */
  version?: PreprocessingVersion;
}

/**
 * `images`: an array, or anything that finds an image by position (`at`, as arrays have), and may tell an image's
 * width / height without reading its pixels (`aspect`: a source that reads images from disk saves a read a step).
 */
export function pixelImageSource(images: { readonly length: number; at(i: number): Pixels | undefined; aspect?(i: number): number }, o: PixelSourceOptions): ImageSource {
  const image = (i: number): Pixels => {
    const p = images.at(i);
    if (!p) throw new Error(`image ${i} of ${images.length} is not there`);
    return p;
  };
  const size = o.inputSize;
  const per = size * size * o.channels;
  const version = o.version ?? PREPROCESSING_VERSION;
  const batch = (indices: ArrayLike<number>, one: (p: Pixels, k: number) => { data: Float32Array; channels: 1 | 3 }) => {
    const out = new Float32Array(indices.length * per);
    for (let k = 0; k < indices.length; k++) {
      const r = one(image(indices[k]!), k);
      out.set(convertChannels(r.data, r.channels, o.channels), k * per);
    }
    return tf.tensor4d(out, [indices.length, size, size, o.channels]);
  };
  return {
    count: images.length,
    get: (indices) => batch(indices, (p) => resizeToInput(p, { version, height: size, width: size })),
    crops: {
      aspects: (indices) =>
        Float64Array.from(indices, (i) => {
          if (images.aspect) return images.aspect(i);
          const p = image(i);
          return p.width / p.height;
        }),
      take: (indices, boxes) => batch(indices, (p, k) => cropPixels(p, boxes.subarray(4 * k, 4 * k + 4), size, size)),
    },
    pixels: { take: (indices) => Array.from(indices, (i) => image(i)), options: { inputSize: size, channels: o.channels, version } },
  };
}
