// The project's training images on the trainer: downloaded once over HTTP (the normalised PNG the server keeps for
// training), decoded with sharp and kept as 8-bit working copies on their own aspect ratio, shrunk only where they
// are much larger than the model's input (see workingSide), in memory up to the trainer's budget and past it in a
// file on its disk (WorkingCopies). Batches are made from them when a stage asks
// (pixelImageSource of @fewlabel/ml): the evaluation view through the model's preprocessing (the code the browser
// demo runs and every export ships as preprocess.js), training crops as windows of each image's own pixels. So memory
// holds bytes (a 28 px gray image: 784 bytes, not 4 KB of float32 at 32 px) and no stage builds a float tensor of
// the whole project. An image that fails to download or decode is skipped and remembered with its reason, so the
// stage can report it instead of failing. A download that failed for a reason that may pass (the network, a server
// error) is tried again with back-off at once, and again by a later stage after a pause; one the server refused
// (404, 403) or that does not decode is not fetched again.
import os from "node:os";
import sharp from "sharp";
import { type ImageSource, type Pixels, pixelImageSource, type tf } from "@fewlabel/ml";
import { TrainerHttpError, type TrainerApi } from "./api-client";
import { DiskImageCache } from "./disk-cache";
import { MemoryBudget, WorkingCopies } from "./working-copies";

/** A decoded training copy: 8-bit, row-major, 1 (gray), 2 (gray + alpha), 3 (sRGB) or 4 (sRGBA) channels. */
export interface WorkingCopy extends Pixels {
  data: Uint8Array;
  channels: 1 | 2 | 3 | 4;
}

/**
 * The shorter side working copies keep for an input size: half as much again as the input, so that a zoomed-in
 * training crop (SimCLR's random-resized crop keeps down to 8-50% of the area) still has pixels of its own to
 * resample instead of enlarging a few. An image is never enlarged here; its longer side is held to 3x this.
 */
export function workingSide(inputSize: number): number {
  return Math.ceil(inputSize * 1.5);
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

/** Why an image failed, as the run lists it. */
const reasonOf = (err: unknown) => (err instanceof Error ? err.message.slice(0, 300) : String(err));

interface Failure {
  reason: string;
  /** Worth trying again (a transient download failure) after `at` + retryAfterMs. */
  transient: boolean;
  at: number;
}

export interface ImageCacheOptions {
  /** The model's input side (the working copies are kept for it; `useInputSize` changes it). */
  inputSize: number;
  /** Downloads (or batches of them) and decodes in flight at once. */
  concurrency: number;
  retry?: DownloadRetry;
  /** Training copies kept across restarts (none: every start downloads them). */
  disk?: DiskImageCache | null;
  /** Who serves the copies (the server's URL): part of every disk key, so two servers never share an entry. */
  origin?: string;
  /** Where the working copies are held (default: all in memory). */
  decoded?: WorkingCopies;
  /**
   * The project the images belong to: downloads then go TRAINING_IMAGE_BATCH at a time through the server's
   * training-images route (one request, one access check for the lot); without it, one request an image.
   */
  projectId?: string;
}

/** Images asked of the server in one request (its route takes up to 256). */
export const TRAINING_IMAGE_BATCH = 64;

export class ImageCache {
  private readonly failed = new Map<string, Failure>();
  /** Where the images of the last `load` came from (the trainer's log says so). */
  lastLoad = { fromDisk: 0, downloaded: 0, requests: 0 };
  /** Each image's key in the disk cache, from the project's state (`describe`). */
  private readonly diskKeys = new Map<string, string>();
  private describedFormat = "";
  private inputSize: number;
  private readonly concurrency: number;
  private readonly retry: DownloadRetry;
  private readonly disk: DiskImageCache | null;
  private readonly origin: string;
  private readonly decoded: WorkingCopies;
  private readonly projectId: string;
  /** Whether to ask for batches: cleared when the server has no such route (an older server). */
  private batches: boolean;

  constructor(
    private readonly api: TrainerApi,
    o: ImageCacheOptions,
  ) {
    this.inputSize = o.inputSize;
    this.concurrency = Math.max(1, o.concurrency);
    this.retry = o.retry ?? DEFAULT_RETRY;
    this.disk = o.disk ?? null;
    this.origin = o.origin ?? "";
    this.decoded = o.decoded ?? new WorkingCopies(new MemoryBudget(Infinity), os.tmpdir());
    this.batches = o.projectId !== undefined;
    this.projectId = o.projectId ?? "";
  }

  /**
   * Makes the images for another model input. Working copies kept for the old size serve a new one of the same
   * working side; otherwise they are dropped and decoded again (from the disk cache when it has them).
   */
  useInputSize(size: number): void {
    if (size === this.inputSize) return;
    if (workingSide(size) !== workingSide(this.inputSize)) this.decoded.clear();
    this.inputSize = size;
  }

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

  /**
   * Reads from the disk cache, downloads and decodes what is not held yet; returns the images that failed (now or
   * before). Work goes in groups (a batch's worth of ids), `concurrency` groups at once: each group decodes what the
   * disk cache has and downloads the rest in one request, decoding each image as it arrives.
   */
  async load(imageIds: string[], onProgress?: (done: number, total: number) => void): Promise<SkippedImage[]> {
    const now = Date.now();
    const todo = imageIds.filter((id) => {
      if (this.decoded.has(id)) return false;
      const f = this.failed.get(id);
      return !f || (f.transient && now - f.at >= this.retry.retryAfterMs);
    });
    let done = 0;
    const counts = { fromDisk: 0, downloaded: 0, requests: 0 };
    this.lastLoad = counts;
    const finished = (id: string, failure?: Omit<Failure, "at">) => {
      if (failure) this.failed.set(id, { ...failure, at: Date.now() });
      else this.failed.delete(id);
      onProgress?.(++done, todo.length);
    };
    /** Decodes downloaded bytes and keeps them on disk; bytes that do not decode will not decode next time either. */
    const take = async (id: string, bytes: Buffer) => {
      counts.downloaded++;
      try {
        this.decoded.set(id, await decodeWorkingCopy(bytes, workingSide(this.inputSize)));
      } catch (err) {
        return finished(id, { reason: reasonOf(err), transient: false });
      }
      const key = this.diskKeys.get(id);
      if (key) await this.disk!.write(key, bytes).catch(() => {});
      finished(id);
    };
    const group = async (ids: string[]) => {
      const missing: string[] = [];
      for (const id of ids) {
        const key = this.diskKeys.get(id);
        const kept = key && (await this.disk!.read(key).catch(() => null));
        if (kept) {
          try {
            this.decoded.set(id, await decodeWorkingCopy(kept, workingSide(this.inputSize)));
            counts.fromDisk++;
            finished(id);
            continue;
          } catch {
            // Checked bytes that do not decode (a copy from older code?): dropped, and downloaded again.
            await this.disk!.remove(key);
          }
        }
        missing.push(id);
      }
      if (missing.length === 0) return;
      if (this.batches && (await this.downloadBatch(missing, take, finished, counts))) return;
      for (const id of missing) {
        let bytes: Buffer;
        try {
          counts.requests++;
          bytes = await this.download(id);
        } catch (err) {
          finished(id, { reason: reasonOf(err), transient: downloadMayRecover(err) });
          continue;
        }
        await take(id, bytes);
      }
    };
    const groups: string[][] = [];
    for (let i = 0; i < todo.length; i += TRAINING_IMAGE_BATCH) groups.push(todo.slice(i, i + TRAINING_IMAGE_BATCH));
    let next = 0;
    const worker = async () => {
      while (next < groups.length) await group(groups[next++]!);
    };
    await Promise.all(Array.from({ length: this.concurrency }, worker));
    return imageIds.filter((id) => this.failed.has(id)).map((id) => ({ imageId: id, reason: this.failed.get(id)!.reason }));
  }

  /**
   * Downloads `ids` through the training-images route, handing each image to `take` as it arrives; an answer that
   * breaks off or fails in a way that may pass is asked again for what had not arrived, with back-off, up to
   * `attempts` requests. False when the server has no such route (then nothing was taken: download one by one).
   */
  private async downloadBatch(
    ids: string[],
    take: (id: string, bytes: Buffer) => Promise<void>,
    finished: (id: string, failure?: Omit<Failure, "at">) => void,
    counts: { requests: number },
  ): Promise<boolean> {
    let rest = ids;
    for (let attempt = 1; ; attempt++) {
      const arrived = new Set<string>();
      try {
        counts.requests++;
        for await (const frame of this.api.trainingImages(this.projectId, rest)) {
          arrived.add(frame.imageId);
          if (frame.bytes) await take(frame.imageId, frame.bytes);
          else finished(frame.imageId, { reason: `${frame.missing}: ${frame.reason}`, transient: false });
        }
        return true;
      } catch (err) {
        if (arrived.size === 0 && err instanceof TrainerHttpError && err.status === 404 && /No such API route/.test(err.message)) {
          this.batches = false;
          return false;
        }
        rest = rest.filter((id) => !arrived.has(id));
        if (attempt >= this.retry.attempts || !downloadMayRecover(err)) {
          for (const id of rest) finished(id, { reason: reasonOf(err), transient: downloadMayRecover(err) });
          return true;
        }
        await new Promise((r) => setTimeout(r, this.retry.backoffMs * 2 ** (attempt - 1)));
      }
    }
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

  /** The loaded image's working copy (its own pixels, for comparing pictures: near-duplicates), or undefined. */
  workingCopy(id: string): WorkingCopy | undefined {
    return this.decoded.get(id);
  }

  /** Grayscale when every image is; otherwise RGB (grayscale images are replicated). */
  channelsFor(imageIds: string[]): 1 | 3 {
    return imageIds.every((id) => (this.decoded.channels(id) ?? 1) <= 2) ? 1 : 3;
  }

  /** Bytes of working copies held in memory and in the spill file on disk. */
  get bytes(): { memory: number; disk: number } {
    return this.decoded.bytes;
  }

  /**
   * The given (loaded) images as the models' input: batches made on demand, evaluation views and training crops
   * (see pixelImageSource), each image read when a batch needs it.
   */
  source(imageIds: string[], channels: 1 | 3, inputSize = this.inputSize): ImageSource {
    for (const id of imageIds) if (!this.decoded.has(id)) throw new Error(`image ${id} is not loaded`);
    // Only when the project was let go of (its images freed) while a stage still ran.
    const gone = (i: number): never => {
      throw new Error(`image ${imageIds[i]} is no longer held by this trainer`);
    };
    const images = {
      length: imageIds.length,
      at: (i: number) => this.decoded.get(imageIds[i]!) ?? gone(i),
      aspect: (i: number) => this.decoded.aspect(imageIds[i]!) ?? gone(i),
    };
    return pixelImageSource(images, { inputSize, channels });
  }

  /** An in-memory [N, size, size, channels] float tensor in [0, 1] of the given (loaded) images, as the models see them outside training. */
  tensor(imageIds: string[], channels: 1 | 3, inputSize = this.inputSize): tf.Tensor4D {
    return this.source(imageIds, channels, inputSize).get(imageIds.map((_, i) => i));
  }
}

/**
 * Decodes a training copy to raw 8-bit pixels (sRGB, or gray when the file is gray; alpha kept, the preprocessing
 * flattens it), shrunk so that its shorter side is at most `side` and its longer side at most 3 x `side` (aspect
 * ratio kept). A copy that needs no shrinking is its file's pixels exactly, so the model's input made from it is the
 * one preprocess.js makes from the same file.
 */
export async function decodeWorkingCopy(bytes: Buffer, side: number): Promise<WorkingCopy> {
  const image = sharp(bytes, { failOn: "error" });
  const meta = await image.metadata();
  // One channel (or one plus alpha) is grayscale; everything else becomes sRGB.
  const gray = meta.channels === 1 || meta.channels === 2;
  // sharp's "b-w" drops an alpha channel (without flattening it), so gray + alpha is decoded as RGBA (R = G = B) and
  // brought back to gray + alpha here.
  const grayAlpha = gray && meta.hasAlpha;
  const w = meta.width ?? 0,
    h = meta.height ?? 0;
  const factor = Math.min(1, side / Math.min(w, h), (3 * side) / Math.max(w, h));
  if (factor < 1) image.resize(Math.max(1, Math.round(w * factor)), Math.max(1, Math.round(h * factor)), { fit: "fill" });
  const { data, info } = await image
    .toColourspace(gray && !grayAlpha ? "b-w" : "srgb")
    .raw({ depth: "uchar" })
    .toBuffer({ resolveWithObject: true });
  const pixels = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (grayAlpha && info.channels === 4) {
    const ga = new Uint8Array(info.width * info.height * 2);
    for (let i = 0; i < ga.length / 2; i++) {
      ga[2 * i] = pixels[4 * i]!;
      ga[2 * i + 1] = pixels[4 * i + 3]!;
    }
    return { data: ga, width: info.width, height: info.height, channels: 2 };
  }
  if (info.channels < 1 || info.channels > 4) throw new Error(`a training copy decoded to ${info.channels} channels`);
  // A copy of the bytes: sharp's output buffer may be a slice of a larger pooled allocation that would stay alive.
  return { data: pixels.slice(), width: info.width, height: info.height, channels: info.channels as 1 | 2 | 3 | 4 };
}
