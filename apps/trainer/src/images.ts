// The project's training images on the trainer: downloaded once over HTTP (the normalised PNG the server keeps for
// training), decoded to raw pixels at their stored size with sharp, then turned into the model's input by the one
// preprocessing of @fewlabel/ml (resizeToInput: the code the browser demo runs and every export ships as
// preprocess.js), kept in memory as float32. An image that fails to download or decode is skipped and remembered with
// its reason, so the stage can report it instead of failing. A download that failed for a reason that may pass (the
// network, a server error) is tried again with back-off at once, and again by a later stage after a pause; one the
// server refused (404, 403) or that does not decode is not fetched again.
import sharp from "sharp";
import { convertChannels, type Pixels, PREPROCESSING_VERSION, resizeToInput, tf } from "@fewlabel/ml";
import { TrainerHttpError, type TrainerApi } from "./api-client";
import { DiskImageCache } from "./disk-cache";

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

/** How downloads are retried: attempts per load, the first back-off (doubled each time), and the pause before a later load tries again. */
export interface DownloadRetry {
  attempts: number;
  backoffMs: number;
  retryAfterMs: number;
}
const DEFAULT_RETRY: DownloadRetry = { attempts: 4, backoffMs: 500, retryAfterMs: 60_000 };

/**
 * Whether a failed download may succeed if tried again: network errors, timeouts, rate limits and server errors may;
 * an answer that says the image is not there or not ours (4xx) will not.
 */
export function downloadMayRecover(err: unknown): boolean {
  if (err instanceof TrainerHttpError) return err.status >= 500 || err.status === 408 || err.status === 429;
  return true;
}

interface Failure {
  reason: string;
  /** Worth trying again (a transient download failure) after `at` + retryAfterMs. */
  transient: boolean;
  at: number;
}

export class ImageCache {
  private readonly decoded = new Map<string, DecodedPixels>();
  private readonly failed = new Map<string, Failure>();
  /** Where the images of the last `load` came from (the trainer's log says so). */
  lastLoad = { fromDisk: 0, downloaded: 0 };
  /** Each image's key in the disk cache, from the project's state (`describe`). */
  private readonly diskKeys = new Map<string, string>();
  private describedFormat = "";

  constructor(
    private readonly api: TrainerApi,
    private readonly inputSize: number,
    private readonly concurrency: number,
    private readonly retry: DownloadRetry = DEFAULT_RETRY,
    /** Training copies kept across restarts (null: every start downloads them). */
    private readonly disk: DiskImageCache | null = null,
    /** Who serves the copies (the server's URL): part of every disk key, so two servers never share an entry. */
    private readonly origin = "",
  ) {}

  /**
   * Tells the cache which copy each image has (the project's state: the format of the server's training copies and
   * each original's content hash), so that copies on disk can stand in for downloads.
   */
  describe(trainingCopy: string, images: ReadonlyArray<{ id: string; contentHash: string }>): void {
    if (!this.disk) return;
    // Called with every state the trainer fetches: an image's key only changes with the server's copy format.
    if (trainingCopy !== this.describedFormat) this.diskKeys.clear();
    this.describedFormat = trainingCopy;
    for (const i of images) if (!this.diskKeys.has(i.id)) this.diskKeys.set(i.id, DiskImageCache.key(this.origin, trainingCopy, i.contentHash));
  }

  /** Downloads and decodes what is not cached yet; returns the images that failed (now or before). */
  async load(imageIds: string[], onProgress?: (done: number, total: number) => void): Promise<SkippedImage[]> {
    const now = Date.now();
    const todo = imageIds.filter((id) => {
      if (this.decoded.has(id)) return false;
      const f = this.failed.get(id);
      return !f || (f.transient && now - f.at >= this.retry.retryAfterMs);
    });
    let next = 0;
    let done = 0;
    const counts = { fromDisk: 0, downloaded: 0 };
    this.lastLoad = counts;
    const worker = async () => {
      while (next < todo.length) {
        const id = todo[next++]!;
        let bytes: Buffer | null = null;
        try {
          const key = this.diskKeys.get(id);
          const kept = key && (await this.disk!.read(key));
          if (kept) {
            try {
              this.decoded.set(id, await decodeForTraining(kept, this.inputSize));
              this.failed.delete(id);
              counts.fromDisk++;
              onProgress?.(++done, todo.length);
              continue;
            } catch {
              // Checked bytes that do not decode (a copy from older code?): dropped, and downloaded again below.
              await this.disk!.remove(key);
            }
          }
          bytes = await this.download(id);
          counts.downloaded++;
          this.decoded.set(id, await decodeForTraining(bytes, this.inputSize));
          this.failed.delete(id);
          if (key) await this.disk!.write(key, bytes).catch(() => {});
        } catch (err) {
          // Bytes that arrived and do not decode will not decode next time either.
          this.failed.set(id, { reason: err instanceof Error ? err.message.slice(0, 300) : String(err), transient: bytes === null && downloadMayRecover(err), at: Date.now() });
        }
        onProgress?.(++done, todo.length);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.concurrency) }, worker));
    return imageIds.filter((id) => this.failed.has(id)).map((id) => ({ imageId: id, reason: this.failed.get(id)!.reason }));
  }

  /** One image's bytes, tried up to `attempts` times with doubling back-off while the failure may pass. */
  private async download(id: string): Promise<Buffer> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.api.trainingImage(id);
      } catch (err) {
        if (attempt >= this.retry.attempts || !downloadMayRecover(err)) throw err;
        await new Promise((r) => setTimeout(r, this.retry.backoffMs * 2 ** (attempt - 1)));
      }
    }
  }

  /** Forgets every decoded image and failure (the project is no longer trained here). */
  clear(): void {
    this.decoded.clear();
    this.failed.clear();
    this.diskKeys.clear();
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
