// A stage's augmented batches: step k's images and augmentations from its own generator, made on this thread or
// ahead of time on worker threads, the same either way.
import { tf } from "../tf.js";
import type { SeededRandom } from "../util/random.js";
import { augment, augmentCrops, type AugmentConfig, drawCropBoxes } from "../augment/augment.js";
import type { ImageSource } from "./imageSource.js";

/**
 * The images of `batch`, augmented with `cfg` (null: as stored), one view per image or two (SimCLR's pairs:
 * [view 1 of every image; view 2 of every image]). The generator is drawn in that order, so a batch is the same
 * whether the stage trains on this thread or on replicas.
 */
export function augmentedBatch(images: ImageSource, batch: ArrayLike<number>, cfg: AugmentConfig | null, r: () => number, views: 1 | 2 = 1): tf.Tensor4D {
  return tf.tidy(() => {
    if (!cfg) return images.get(batch);
    const crops = images.crops;
    let view: () => tf.Tensor4D;
    if (crops) {
      const aspects = crops.aspects(batch);
      view = () => augmentCrops(crops.take(batch, drawCropBoxes(batch.length, cfg, r, aspects)), cfg, r);
    } else {
      const x = images.get(batch);
      view = () => augment(x, cfg, r);
    }
    return views === 1 ? view() : (tf.concat([view(), view()], 0) as tf.Tensor4D);
  });
}

/**
 * Where a stage's augmented batches come from: made on this thread when asked, or ahead of time on a worker thread
 * (`prefetch`, Node: ../parallel/batchPrefetcher.ts; only for sources of 8-bit images, others stay here). Either way
 * step k's batch is the same: its images and augmentations come from `plan(k)`'s generator.
 */
export interface StageBatches {
  /** Step k's batch as plain data (what replicas take). */
  data(k: number): Promise<{ data: Float32Array; shape: [number, number, number, number] }>;
  /** Step k's batch as a tensor on this thread. */
  tensor(k: number): Promise<tf.Tensor4D>;
  dispose(): Promise<void>;
}

export async function stageBatches(o: {
  images: ImageSource;
  cfg: AugmentConfig | null;
  views: 1 | 2;
  plan: (step: number) => { batch: ArrayLike<number>; r: SeededRandom };
  totalSteps: number;
  /** Make batches ahead on worker threads: true for one, or how many. */
  prefetch?: boolean | number;
}): Promise<StageBatches> {
  // A dynamic import, as for the replicas: browser bundles of the stages must not pull worker threads in.
  const workers = o.prefetch === true ? 1 : o.prefetch || 0;
  const ahead = workers > 0 && o.images.pixels ? await (await import("../parallel/batchPrefetcher.js")).BatchPrefetcher.create({ ...o, workers }) : null;
  if (ahead) {
    return {
      data: (k) => ahead.get(k),
      tensor: async (k) => {
        const { data, shape } = await ahead.get(k);
        return tf.tensor4d(data, shape);
      },
      dispose: () => ahead.dispose(),
    };
  }
  return {
    data: async (k) => {
      const { batch, r } = o.plan(k);
      return augmentedBatchData(o.images, batch, o.cfg, r, o.views);
    },
    // No read-back: a GPU backend keeps the batch where it trains (and webgpu cannot read synchronously in Node).
    tensor: async (k) => {
      const { batch, r } = o.plan(k);
      return augmentedBatch(o.images, batch, o.cfg, r, o.views);
    },
    dispose: async () => {},
  };
}

/** `augmentedBatch` read out to plain memory, as worker replicas take it. */
export function augmentedBatchData(...args: Parameters<typeof augmentedBatch>): { data: Float32Array; shape: [number, number, number, number] } {
  const x = augmentedBatch(...args);
  const data = x.dataSync() as Float32Array;
  const shape = x.shape;
  x.dispose();
  return { data, shape };
}
