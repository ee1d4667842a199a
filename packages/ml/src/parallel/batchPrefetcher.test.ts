// Batches made ahead of time on a worker thread are the batches the stage would make on its own thread, bit for bit
// (a resumed run repeats an uninterrupted one whichever thread made them), and a batch that cannot be made fails
// the step with the reason.
import { beforeAll, describe, expect, it } from "vitest";
import { defaultAugmentConfig, fineTuneAugmentConfig } from "../augment/augment.js";
import { selectBackend } from "../backend/select.js";
import { createEncoder } from "../models/resnet.js";
import { createProjectionHead } from "../models/heads.js";
import { pixelImageSource } from "../preprocess/pixelSource.js";
import { sampleBatch, stepRandom } from "../stages/sampling.js";
import { stageBatches } from "../stages/batches.js";
import { pretrainContrastive } from "../stages/pretrain.js";
import { mulberry32 } from "../util/random.js";

beforeAll(async () => {
  await selectBackend({ order: ["wasm"] });
});

/** Images of many shapes (wide, tall, small, large), gray or colour. */
const images = (n: number, channels: 1 | 3, seed: number) => {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const width = 20 + Math.floor(rand() * 80),
      height = 20 + Math.floor(rand() * 80);
    return { width, height, channels, data: Uint8Array.from({ length: width * height * channels }, () => Math.floor(rand() * 256)) };
  });
};

describe("BatchPrefetcher", () => {
  it("makes the batches this thread would make, for pretraining's pairs and fine-tuning's single views, blur included", async () => {
    const cases = [
      { channels: 3 as const, inputSize: 64, cfg: defaultAugmentConfig(64, 3), views: 2 as const }, // crops of 20%+, jitter, hue, grayscale, blur
      { channels: 1 as const, inputSize: 28, cfg: defaultAugmentConfig(28, 1, 0.5, { mirrorSafe: false }), views: 2 as const },
      { channels: 3 as const, inputSize: 32, cfg: fineTuneAugmentConfig({}, 32), views: 1 as const },
    ];
    for (const [i, c] of cases.entries()) {
      const source = pixelImageSource(images(40, c.channels, i + 1), { inputSize: c.inputSize, channels: c.channels });
      const plan = (k: number) => {
        const r = stepRandom(7, k);
        return { batch: sampleBatch(40, 12, r), r };
      };
      const here = await stageBatches({ images: source, cfg: c.cfg, views: c.views, plan, totalSteps: 10 });
      // One worker, or two taking turns.
      const ahead = await stageBatches({ images: source, cfg: c.cfg, views: c.views, plan, totalSteps: 10, prefetch: i === 0 ? 2 : true });
      try {
        // In order, then a jump (a resumed run starts past its first steps).
        for (const k of [0, 1, 2, 6, 9]) {
          const [a, b] = [await here.data(k), await ahead.data(k)];
          expect(b.shape).toEqual([12 * c.views, c.inputSize, c.inputSize, c.channels]);
          expect(b.shape).toEqual(a.shape);
          expect(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength).equals(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength))).toBe(true);
        }
        // Different steps are different batches (the comparison above is not between constants).
        expect(Array.from((await here.data(3)).data.subarray(0, 50))).not.toEqual(Array.from((await here.data(4)).data.subarray(0, 50)));
      } finally {
        await ahead.dispose();
      }
    }
  });

  it("trains to the same weights with batches made ahead as without", async () => {
    const source = pixelImageSource(images(24, 1, 9), { inputSize: 28, channels: 1 });
    const run = async (prefetch: boolean) => {
      const encoder = createEncoder({ inputSize: 28, channels: 1, widths: [4, 8], blocks: [1, 1], seed: 3 });
      const projectionHead = createProjectionHead({ inputDim: 8, hiddenDim: 8, outputDim: 8, seed: 4 });
      const { losses } = await pretrainContrastive({ encoder, projectionHead, images: source, steps: 4, batchSize: 8, optimizer: "adam", seed: 5, prefetch });
      const weights = encoder.getWeights().map((w) => Array.from(w.dataSync()));
      encoder.dispose();
      projectionHead.dispose();
      return { losses, weights };
    };
    const [a, b] = [await run(false), await run(true)];
    expect(b.losses).toEqual(a.losses);
    expect(b.weights).toEqual(a.weights);
  });

  it("fails the step that asked for a batch it cannot make, with the reason", async () => {
    const held = images(10, 3, 3);
    const source = pixelImageSource({ length: 10, at: (i: number) => (i === 4 ? undefined : held[i]) }, { inputSize: 32, channels: 3 });
    const plan = (k: number) => {
      const r = stepRandom(1, k);
      return { batch: k === 2 ? [1, 4, 5] : [0, 1, 2], r };
    };
    const ahead = await stageBatches({ images: source, cfg: defaultAugmentConfig(32, 3), views: 2, plan, totalSteps: 5, prefetch: true });
    try {
      await expect(ahead.data(0)).resolves.toBeTruthy();
      await expect(ahead.data(1)).resolves.toBeTruthy();
      await expect(ahead.data(2)).rejects.toThrow(/image 4 of 10 is not there/);
      await expect(ahead.data(3)).resolves.toBeTruthy();
    } finally {
      await ahead.dispose();
    }
  });
});
