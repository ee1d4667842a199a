// The project's training images on the trainer: downloaded once over HTTP (the normalised PNG the server keeps for
// training), decoded and resized to the model's input with sharp, kept in memory as bytes. An image that fails to
// download or decode is skipped and remembered with its reason, so the stage can report it instead of failing.
import sharp from "sharp";
import { tf } from "@fewlabel/ml";
import type { TrainerApi } from "./api-client";

export interface DecodedPixels {
  /** inputSize x inputSize x channels, row-major, 0-255. */
  pixels: Uint8Array;
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

  /** An in-memory [N, size, size, channels] float tensor in [0, 1] of the given (decoded) images. */
  tensor(imageIds: string[], channels: 1 | 3): tf.Tensor4D {
    const s = this.inputSize;
    const out = new Float32Array(imageIds.length * s * s * channels);
    imageIds.forEach((id, n) => {
      const img = this.decoded.get(id);
      if (!img) throw new Error(`image ${id} is not loaded`);
      const base = n * s * s * channels;
      for (let p = 0; p < s * s; p++) {
        if (img.channels === channels) for (let c = 0; c < channels; c++) out[base + p * channels + c] = img.pixels[p * channels + c]! / 255;
        else if (channels === 3) for (let c = 0; c < 3; c++) out[base + p * 3 + c] = img.pixels[p]! / 255;
        else out[base + p] = (0.299 * img.pixels[p * 3]! + 0.587 * img.pixels[p * 3 + 1]! + 0.114 * img.pixels[p * 3 + 2]!) / 255;
      }
    });
    return tf.tensor4d(out, [imageIds.length, s, s, channels]);
  }
}

/** Resizes (bilinear, to a square, as the exported models' metadata says) and keeps 1 or 3 channels. */
export async function decodeForTraining(bytes: Buffer, size: number): Promise<DecodedPixels> {
  const image = sharp(bytes, { failOn: "error" });
  const meta = await image.metadata();
  // One channel (or one plus alpha) is grayscale; everything else becomes sRGB.
  const gray = meta.channels === 1 || meta.channels === 2;
  const pipeline = image.removeAlpha().resize(size, size, { fit: "fill", kernel: "linear" });
  const { data, info } = await (gray ? pipeline.toColourspace("b-w") : pipeline.toColourspace("srgb")).raw().toBuffer({ resolveWithObject: true });
  const channels = info.channels === 1 ? 1 : 3;
  if (info.channels !== channels) throw new Error(`unexpected ${info.channels} channels after decoding`);
  return { pixels: new Uint8Array(data.buffer, data.byteOffset, data.length), channels };
}
