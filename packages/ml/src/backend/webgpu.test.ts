// The GPU code path: a training step of encoder + projection head on the webgpu backend must give the cpu
// backend's gradients. Without a GPU this runs on Mesa's software adapter (Dawn's OpenGL ES backend; Debian
// libegl1 + libgl1-mesa-dri), a few seconds for this tiny model. Skipped, with the reason, when no adapter can
// be had; FEWLABEL_TEST_WEBGPU=0 turns it off.
import { describe, expect, it } from "vitest";
import { tf } from "../tf.js";
import { selectBackend } from "./select.js";
import { createEncoder } from "../models/resnet.js";
import { createProjectionHead } from "../models/heads.js";
import { ntXentLoss } from "../losses/ntXent.js";
import { variablesOf } from "../models/variables.js";
import { mulberry32, randomArray } from "../util/random.js";

describe.skipIf(process.env.FEWLABEL_TEST_WEBGPU === "0")("webgpu backend", () => {
  it("trains: gradients of a SimCLR step match the cpu backend", { timeout: 240_000 }, async (ctx) => {
    try {
      await selectBackend({ order: ["webgpu"], allowSoftwareWebGPU: true });
    } catch (e) {
      console.warn(`webgpu test SKIPPED: ${(e as Error).message}`);
      ctx.skip();
    }
    expect(tf.getBackend()).toBe("webgpu");
    const enc = createEncoder({ inputSize: 28, channels: 1, widths: [4, 8], blocks: [1, 1], seed: 1 }, "wgenc");
    const head = createProjectionHead({ inputDim: 8, hiddenDim: 8, outputDim: 4, seed: 2 }, "wgproj");
    const vars = variablesOf(enc, head);
    const xs = randomArray(4 * 28 * 28, mulberry32(3));
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const { value, grads } = tf.variableGrads(() => {
        const z = head.apply(enc.apply(tf.tensor4d(xs, [4, 28, 28, 1]), { training: true }) as tf.Tensor, { training: true }) as tf.Tensor2D;
        const [a, b] = tf.split(z, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
        return ntXentLoss(a, b, 0.5);
      }, vars);
      return { value: (await value.data())[0]!, grads: await Promise.all(vars.map(async (v) => Array.from(await grads[v.name]!.data()))) };
    };
    // cpu first: moving tensors from webgpu to cpu would need a synchronous read, which Node's webgpu lacks.
    await tf.setBackend("cpu");
    const cpu = await run("cpu");
    const gpu = await run("webgpu");
    expect(gpu.value).toBeCloseTo(cpu.value, 3);
    gpu.grads.forEach((g, i) => {
      const ref = cpu.grads[i]!;
      const scale = Math.max(1e-3, ...ref.map(Math.abs));
      const err = Math.max(...g.map((v, j) => Math.abs(v - ref[j]!)));
      expect(err / scale).toBeLessThan(1e-2);
    });
  });
});
