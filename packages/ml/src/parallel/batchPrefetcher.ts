// Training batches made ahead of time on a worker thread (Node). Making a batch (reading each image's 8-bit pixels,
// resampling its random crop, colour jitter, blur) is work for the CPU that the training step does not need to wait
// for: on this thread it ran between steps while the replicas (or the GPU) sat idle, about a fifth of a 32 px step
// and most of a 96 px one (apps/trainer/bench/data-path.ts). Here step k+1's batch, and the one after, are made while
// step k trains.
//
// The batch is the one this thread would make, bit for bit: the stage draws step k's images with step k's generator
// (stepRandom), and the worker goes on drawing from that generator's state (crop boxes, flips, jitter), with the same
// code on the same wasm kernels. A resumed run therefore repeats an uninterrupted one whichever thread made its batches.
import { Worker } from "node:worker_threads";
import type { AugmentConfig } from "../augment/augment.js";
import type { Pixels } from "../preprocess/preprocess.js";
import type { PixelSourceOptions } from "../preprocess/pixelSource.js";
import type { ImageSource } from "../stages/imageSource.js";
import type { SeededRandom } from "../util/random.js";
import { workerEntry } from "./workerEntry.js";

/** Step k's images (indices into the source) and its generator after drawing them. */
export interface BatchPlan {
  batch: ArrayLike<number>;
  r: SeededRandom;
}

export interface BatchData {
  data: Float32Array;
  shape: [number, number, number, number];
}

/** What the worker is asked (./batchWorker.ts). */
export interface BatchRequest {
  id: number;
  images: Pixels[];
  options: PixelSourceOptions;
  cfg: AugmentConfig | null;
  views: 1 | 2;
  rState: number;
}
export type BatchReply = { type: "ready" } | { type: "batch"; id: number; data: Float32Array; shape: [number, number, number, number] } | { type: "failed"; id: number; message: string };

export interface PrefetchOptions {
  images: ImageSource;
  cfg: AugmentConfig | null;
  views: 1 | 2;
  plan: (step: number) => BatchPlan;
  totalSteps: number;
  /** Batches made ahead of the one asked for (default: two a worker). */
  ahead?: number;
  /**
   * Worker threads making batches (default 1), step k on worker k mod n: one keeps up with a CPU's training step, a
   * GPU's step at 96 px and more outruns it (a 128-view batch with blur takes the better part of a second).
   */
  workers?: number;
}

export class BatchPrefetcher {
  private readonly pending = new Map<number, { promise: Promise<BatchData>; resolve: (b: BatchData) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;

  private constructor(
    private readonly workers: Worker[],
    private readonly o: PrefetchOptions,
    private readonly pixels: NonNullable<ImageSource["pixels"]>,
  ) {
    const fail = (e: Error) => {
      this.failure = e;
      for (const p of this.pending.values()) p.reject(e);
    };
    for (const worker of workers) {
      worker.on("message", (m: BatchReply) => {
        if (m.type === "ready") return;
        const p = this.pending.get(m.id);
        if (!p) return;
        if (m.type === "batch") p.resolve({ data: m.data, shape: m.shape });
        else p.reject(new Error(`making the batch of step ${m.id} failed: ${m.message}`));
      });
      worker.on("error", (e) => fail(new Error(`a batch worker failed: ${e.message}`)));
      worker.on("exit", (code) => fail(new Error(`a batch worker exited (code ${code})`)));
    }
  }

  /** A prefetcher for a source of 8-bit images (null for any other source: its batches are made on this thread). */
  static async create(o: PrefetchOptions): Promise<BatchPrefetcher | null> {
    if (!o.images.pixels) return null;
    const workers = Array.from({ length: Math.max(1, o.workers ?? 1) }, () => new Worker(workerEntry(import.meta.url, "batchWorker")));
    try {
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve, reject) => {
              worker.once("message", (m: BatchReply) => (m.type === "ready" ? resolve() : reject(new Error(`a batch worker said ${m.type} first`))));
              worker.once("error", reject);
            }),
        ),
      );
    } catch (err) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw err;
    }
    return new BatchPrefetcher(workers, o, o.images.pixels);
  }

  /** Step k's batch; asks for the next ones too, so they are made while this one trains. */
  async get(k: number): Promise<BatchData> {
    for (const step of this.pending.keys()) if (step < k) this.pending.delete(step); // a jump ahead (none in a run)
    const last = Math.min(this.o.totalSteps - 1, k + (this.o.ahead ?? 2 * this.workers.length));
    for (let j = k; j <= last; j++) if (!this.pending.has(j)) this.request(j);
    const p = this.pending.get(k)!;
    try {
      return await p.promise;
    } finally {
      this.pending.delete(k);
    }
  }

  private request(k: number): void {
    let resolve!: (b: BatchData) => void, reject!: (e: Error) => void;
    const promise = new Promise<BatchData>((a, b) => ((resolve = a), (reject = b)));
    promise.catch(() => {}); // awaited by `get`; a batch asked ahead and never taken must not go unhandled
    this.pending.set(k, { promise, resolve, reject });
    if (this.failure) {
      reject(this.failure);
      return;
    }
    try {
      const plan = this.o.plan(k);
      // Copies the worker owns: the source's own buffers (its in-memory working copies) stay where they are.
      const images = this.pixels
        .take(plan.batch)
        .map((p) => ({ data: ArrayBuffer.isView(p.data) ? (p.data as Uint8Array).slice() : Uint8Array.from(p.data), width: p.width, height: p.height, channels: p.channels }));
      const request: BatchRequest = { id: k, images, options: this.pixels.options, cfg: this.o.cfg, views: this.o.views, rState: plan.r.state };
      this.workers[k % this.workers.length]!.postMessage(
        request,
        images.map((i) => i.data.buffer as ArrayBuffer),
      );
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  async dispose(): Promise<void> {
    for (const w of this.workers) w.removeAllListeners("exit");
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
