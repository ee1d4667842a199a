// The project's training images on the trainer: downloaded once over HTTP (the normalised PNG the server keeps for
// training), decoded to raw pixels at their stored size with sharp, then turned into the model's input by the one
// preprocessing of @fewlabel/ml (resizeToInput: the code the browser demo runs and every export ships as
// preprocess.js), kept in memory as float32. An image that fails to download or decode is skipped and remembered with
// its reason, so the stage can report it instead of failing.
import sharp from "sharp";
import { convertChannels, type Pixels, PREPROCESSING_VERSION, resizeToInput, tf } from "@fewlabel/ml";
import type { TrainerApi } from "./api-client";

export interface DecodedPixels {
  /**
   * inputSize x inputSize x channels, row-major, in [0, 1]: the model's input in the image's own channels. Float32
   * (4x the bytes of 8-bit pixels) because the resized values are not integers and must reach the model unchanged.
   */
  pixels: Float32Array;
  channels: 1 | 3;
}

export interface SkippedImage {
  imageId: string;
  reason: string;
}

export class ImageCache {
  private readonly decoded = new Map<string, DecodedPixels>();
  private readonly failed = new Map<string, string>();

  constructor(
    private readonly api: TrainerApi,
    private readonly inputSize: number,
    private readonly concurrency: number,
  ) {}

  /** Downloads and decodes what is not cached yet; returns the images that failed (now or before). */
  async load(imageIds: string[], onProgress?: (done: number, total: number) => void): Promise<SkippedImage[]> {
    const todo = imageIds.filter((id) => !this.decoded.has(id) && !this.failed.has(id));
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < todo.length) {
        const id = todo[next++]!;
        try {
          this.decoded.set(id, await decodeForTraining(await this.api.trainingImage(id), this.inputSize));
        } catch (err) {
          this.failed.set(id, err instanceof Error ? err.message.slice(0, 300) : String(err));
        }
        onProgress?.(++done, todo.length);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.concurrency) }, worker));
    return imageIds.filter((id) => this.failed.has(id)).map((id) => ({ imageId: id, reason: this.failed.get(id)! }));
  }

  has(id: string): boolean {
    return this.decoded.has(id);
  }

  /** Grayscale when every image is; otherwise RGB (grayscale images are replicated). */
  channelsFor(imageIds: string[]): 1 | 3 {
    return imageIds.every((id) => this.decoded.get(id)?.channels !== 3) ? 1 : 3;
  }

  /** An in-memory [N, size, size, channels] float tensor in [0, 1] of the given (decoded) images: the models' input. */
  tensor(imageIds: string[], channels: 1 | 3): tf.Tensor4D {
    const per = this.inputSize * this.inputSize * channels;
    const out = new Float32Array(imageIds.length * per);
    imageIds.forEach((id, n) => {
      const img = this.decoded.get(id);
      if (!img) throw new Error(`image ${id} is not loaded`);
      out.set(convertChannels(img.pixels, img.channels, channels), n * per);
    });
    return tf.tensor4d(out, [imageIds.length, this.inputSize, this.inputSize, channels]);
  }
}

/**
 * Decodes a training copy to raw 8-bit pixels at its stored size (sRGB, or gray when the file is gray; alpha kept,
 * the preprocessing flattens it) and preprocesses them to the square model input, as metadata.json's
 * `preprocessing` says.
 */
export async function decodeForTraining(bytes: Buffer, size: number): Promise<DecodedPixels> {
  const image = sharp(bytes, { failOn: "error" });
  const meta = await image.metadata();
  // One channel (or one plus alpha) is grayscale; everything else becomes sRGB.
  const gray = meta.channels === 1 || meta.channels === 2;
  // sharp's "b-w" drops an alpha channel (without flattening it), so gray + alpha is decoded as RGBA (R = G = B) and
  // brought back to gray + alpha here.
  const grayAlpha = gray && meta.hasAlpha;
  const { data, info } = await image.toColourspace(gray && !grayAlpha ? "b-w" : "srgb").raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
  let pixels: Pixels = { data, width: info.width, height: info.height, channels: info.channels };
  if (grayAlpha && info.channels === 4) {
    const ga = new Uint8Array(info.width * info.height * 2);
    for (let i = 0; i < ga.length / 2; i++) {
      ga[2 * i] = data[4 * i]!;
      ga[2 * i + 1] = data[4 * i + 3]!;
    }
    pixels = { data: ga, width: info.width, height: info.height, channels: 2 };
  }
  const out = resizeToInput(pixels, { version: PREPROCESSING_VERSION, height: size, width: size });
  return { pixels: out.data, channels: out.channels };
}
