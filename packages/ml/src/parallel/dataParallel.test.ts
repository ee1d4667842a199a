import { describe, expect, it } from "vitest";
import { DataParallelContrastive } from "./dataParallel.js";
import { mulberry32 } from "../util/random.js";
import { createEncoder } from "../models/resnet.js";
import { createProjectionHead } from "../models/heads.js";
import { selectBackend } from "../backend/select.js";
import type { tf as TF } from "../tf.js";

describe("DataParallelContrastive", () => {
  it("trains with 2 worker replicas that stay identical", { timeout: 120_000 }, async () => {
    await selectBackend({ order: ["wasm"] });
    const encoder = createEncoder({ inputSize: 28, channels: 1, widths: [4, 8], blocks: [1, 1], seed: 3 });
    const projectionHead = createProjectionHead({ inputDim: 8, hiddenDim: 8, outputDim: 4, seed: 4 });
    const initial = encoder.getWeights()[0]!.dataSync().slice();
    const dp = await DataParallelContrastive.create({
      workers: 2,
      encoder,
      projectionHead,
      learningRate: 1e-2,
      temperature: 0.5,
      maxViews: 12,
    });
    try {
      const r = mulberry32(1);
      const base = new Float32Array(6 * 28 * 28).map(() => r());
      // view 2 = view 1 slightly perturbed: the loss must fall as the replicas learn to match them
      const views = new Float32Array(12 * 28 * 28);
      views.set(base, 0);
      views.set(base.map((v) => Math.min(1, v + 0.05 * r())), base.length);
      const losses: number[] = [];
      for (let i = 0; i < 6; i++) losses.push(await dp.step(views, [12, 28, 28, 1], 1e-2));
      expect(losses[5]!).toBeLessThan(losses[0]!);
      const [w0, w1] = await Promise.all([dp.weights(0), dp.weights(1)]);
      // Trainable weights are identical; batch-norm moving statistics are per shard.
      expect(w0.length).toBe(w1.length);
      expect(Array.from(w0[0]!)).toEqual(Array.from(w1[0]!));
      expect(Array.from(w0[0]!)).not.toEqual(Array.from(initial));
      await dp.syncTo();
      expect(Array.from(encoder.getWeights()[0]!.dataSync())).toEqual(Array.from(w0[0]!));
    } finally {
      await dp.dispose();
    }
  });
});

describe("pretrainContrastive with workers", () => {
  it("trains the caller's models through 2 worker replicas", { timeout: 120_000 }, async () => {
    const { pretrainContrastive } = await import("../stages/pretrain.js");
    const { tensorImageSource } = await import("../stages/common.js");
    const { tf } = await import("../tf.js");
    await selectBackend({ order: ["wasm"] });
    const encoder = createEncoder({ inputSize: 28, channels: 1, widths: [4, 8], blocks: [1, 1], seed: 5 });
    const projectionHead = createProjectionHead({ inputDim: 8, hiddenDim: 8, outputDim: 4, seed: 6 });
    const before = encoder.getWeights()[0]!.dataSync().slice();
    const r = mulberry32(2);
    const images = tensorImageSource(tf.tensor4d(new Float32Array(16 * 28 * 28).map(() => r()), [16, 28, 28, 1]));
    const res = await pretrainContrastive({ encoder, projectionHead, images, steps: 3, batchSize: 8, optimizer: "adam", workers: 2 });
    expect(res.losses).toHaveLength(3);
    expect(res.losses.every(Number.isFinite)).toBe(true);
    expect(Array.from(encoder.getWeights()[0]!.dataSync())).not.toEqual(Array.from(before));
  });
});

describe("pretrainContrastive with workers, checkpointed and resumed", () => {
  it("ends with exactly the weights and losses of an uninterrupted run (optimizer state included)", { timeout: 180_000 }, async () => {
    const { pretrainContrastive } = await import("../stages/pretrain.js");
    const { tensorImageSource } = await import("../stages/common.js");
    const { createOptimizer } = await import("../optim/lars.js");
    const { tf } = await import("../tf.js");
    await selectBackend({ order: ["wasm"] });
    const build = () => ({
      encoder: createEncoder({ inputSize: 28, channels: 1, widths: [4, 8], blocks: [1, 1], seed: 7 }),
      projectionHead: createProjectionHead({ inputDim: 8, hiddenDim: 8, outputDim: 4, seed: 8 }),
    });
    const r = mulberry32(3);
    const images = tensorImageSource(tf.tensor4d(new Float32Array(16 * 28 * 28).map(() => r()), [16, 28, 28, 1]));
    const common = { images, steps: 4, batchSize: 8, optimizer: "lars" as const, learningRate: 0.5, seed: 5, workers: 2 };
    const weightsOf = (m: { encoder: { getWeights(): TF.Tensor[] }; projectionHead: { getWeights(): TF.Tensor[] } }) =>
      [...m.encoder.getWeights(), ...m.projectionHead.getWeights()].map((w) => Array.from(w.dataSync()));

    const a = build();
    const straight = await pretrainContrastive({ ...a, ...common });

    // Interrupted after 2 steps: keep what a checkpoint would (weights and optimizer state), then crash.
    const b = build();
    let saved: { weights: TF.Tensor[]; slots: { name: string; tensor: TF.Tensor }[] } | undefined;
    await expect(
      pretrainContrastive({
        ...b,
        ...common,
        checkpointEvery: 2,
        onCheckpoint: async (_next, opt) => {
          const slots = (await opt.getWeights()).map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) }));
          saved = { weights: [...b.encoder.getWeights(), ...b.projectionHead.getWeights()].map((w) => tf.clone(w)), slots };
          throw new Error("simulated crash");
        },
      }),
    ).rejects.toThrow(/simulated crash/);
    expect(saved!.slots.length).toBeGreaterThan(1); // the workers' velocities reached the checkpoint

    const c = build();
    const ne = c.encoder.getWeights().length;
    c.encoder.setWeights(saved!.weights.slice(0, ne));
    c.projectionHead.setWeights(saved!.weights.slice(ne));
    const opt = createOptimizer("lars", 0.5);
    await opt.setWeights(saved!.slots);
    const resumed = await pretrainContrastive({ ...c, ...common, startStep: 2, optimizerInstance: opt });
    expect(resumed.losses).toEqual(straight.losses.slice(2));
    expect(weightsOf(c)).toEqual(weightsOf(a));
  });
});
