// fewlabel's webgpu training kernels (./webgpuTraining.ts) against the cpu backend: filter and input gradients of
// convolutions on random shapes (stride 1 and 2, same and valid padding, 1x1 and 3x3 filters, batch 1 and more,
// channel counts that fill no tile), and training batch norm's forward and backward. Without a GPU this runs on Mesa's
// software adapter (Dawn's OpenGL ES backend), as webgpu.test.ts does; under CI=true a missing adapter fails the test.
import { describe, expect, it } from "vitest";
import { tf } from "../tf.js";
import { selectBackend } from "./select.js";
import { splitKChunks, useWebGPUKernels, webgpuKernelSet } from "./webgpuTraining.js";
import { GPU_BLOCKING, SOFTWARE_BLOCKING, setConvBlocking } from "./webgpuConv.js";
import { batchNormTrain } from "../models/batchNorm.js";
import { ADAM_UPDATE } from "../optim/adam.js";
import { createOptimizer } from "../optim/lars.js";
import { mulberry32, randomArray } from "../util/random.js";

interface Case {
  batch: number;
  size: [number, number];
  cin: number;
  cout: number;
  filter: number;
  stride: 1 | 2;
  pad: "same" | "valid";
}

function cases(): Case[] {
  const r = mulberry32(11);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const out: Case[] = [
    // The reference model's stem and a strided 1x1 shortcut, at small batch.
    { batch: 2, size: [32, 32], cin: 3, cout: 16, filter: 3, stride: 1, pad: "same" },
    { batch: 2, size: [16, 16], cin: 16, cout: 32, filter: 1, stride: 2, pad: "valid" },
    // Channel counts the register-block kernels take (vec4s of input and output channels), odd sizes, stride 2.
    { batch: 3, size: [9, 7], cin: 8, cout: 12, filter: 3, stride: 2, pad: "same" },
    { batch: 1, size: [5, 6], cin: 4, cout: 4, filter: 3, stride: 1, pad: "valid" },
    { batch: 2, size: [7, 9], cin: 12, cout: 8, filter: 3, stride: 2, pad: "valid" },
    { batch: 2, size: [6, 5], cin: 1, cout: 8, filter: 3, stride: 1, pad: "same" },
    // Rows longer than a block's positions, and channels for the largest blocks (16 and 4 vec4s).
    { batch: 2, size: [6, 19], cin: 16, cout: 16, filter: 3, stride: 1, pad: "same" },
    { batch: 1, size: [5, 35], cin: 32, cout: 64, filter: 3, stride: 2, pad: "same" },
    { batch: 2, size: [7, 18], cin: 8, cout: 32, filter: 1, stride: 2, pad: "valid" },
  ];
  for (let i = 0; i < 10; i++) {
    out.push({
      batch: pick([1, 2, 3, 5]),
      size: [pick([5, 7, 8, 12]), pick([5, 6, 9, 12])],
      cin: pick([1, 3, 4, 16, 17, 40]),
      cout: pick([1, 4, 5, 16, 33]),
      filter: pick([1, 3]),
      stride: pick([1, 2] as const),
      pad: pick(["same", "valid"] as const),
    });
  }
  return out;
}

async function gradients(c: Case, xs: Float32Array, ws: Float32Array, dys: (shape: number[]) => Float32Array) {
  const x = tf.tensor4d(xs, [c.batch, ...c.size, c.cin]);
  const w = tf.tensor4d(ws, [c.filter, c.filter, c.cin, c.cout]);
  const y = tf.conv2d(x, w, c.stride, c.pad);
  const dy = tf.tensor4d(dys(y.shape), y.shape as [number, number, number, number]);
  // conv2d's gradient runs the Conv2DBackpropInput and Conv2DBackpropFilter kernels.
  const [dx, dw] = tf.grads((xi: tf.Tensor, wi: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, c.stride, c.pad), dy)))([x, w]) as [tf.Tensor, tf.Tensor];
  // The forward convolution as tfjs-layers runs it too: FusedConv2D with a bias and relu.
  const b = tf.tensor1d(Array.from({ length: c.cout }, (_, i) => (i % 3) - 1));
  const fused = tf.fused.conv2d({ x, filter: w, strides: c.stride, pad: c.pad, bias: b, activation: "relu" });
  const out = { y: await y.data(), fused: await fused.data(), dw: await dw.data(), dx: await dx.data() };
  tf.dispose([b, fused]);
  tf.dispose([x, w, y, dy, dw, dx]);
  return out;
}

function relError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 1e-6,
    err = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]!));
    err = Math.max(err, Math.abs(got[i]! - want[i]!));
  }
  expect(got.length).toBe(want.length);
  return err / scale;
}

describe.skipIf(process.env.FEWLABEL_TEST_WEBGPU === "0")("fewlabel's webgpu training kernels", () => {
  it("split-K takes enough stretches to fill a GPU, each of at least 64 products", () => {
    // The stem at batch 256: 7 x 4 blocks of dW, 262,144 products each: 2,341 stretches of 112.
    expect(splitKChunks(262_144, 27, 16)).toBe(2341);
    // Few products: stretches of 64 at least.
    expect(splitKChunks(1_000, 27, 16)).toBe(16);
    // A wide layer's many blocks need fewer stretches.
    expect(splitKChunks(4_096, 1152, 128)).toBe(8);
    expect(splitKChunks(50, 9, 9)).toBe(1);
  });

  it("give the cpu backend's convolution gradients and batch norm", { timeout: 300_000 }, async (ctx) => {
    try {
      await selectBackend({ order: ["webgpu"], allowSoftwareWebGPU: true });
    } catch (e) {
      if (process.env.CI === "true") throw e;
      console.warn(`webgpu kernel test SKIPPED: ${(e as Error).message}`);
      ctx.skip();
    }
    expect(webgpuKernelSet()).toBe("fewlabel");
    const r = mulberry32(5);
    // Both block sizes (./webgpuConv.ts): a GPU's and the software adapter's larger ones.
    for (const [blocking, c] of [SOFTWARE_BLOCKING, GPU_BLOCKING].flatMap((b) => cases().map((c) => [b, c] as const))) {
      setConvBlocking(blocking);
      const xs = randomArray(c.batch * c.size[0] * c.size[1] * c.cin, r);
      const ws = randomArray(c.filter * c.filter * c.cin * c.cout, r);
      const dys = (shape: number[]) =>
        randomArray(
          shape.reduce((a, b) => a * b, 1),
          mulberry32(9),
        );
      await tf.setBackend("cpu");
      const want = await gradients(c, xs, ws, dys);
      await tf.setBackend("webgpu");
      const got = await gradients(c, xs, ws, dys);
      const label = `${JSON.stringify(c)} ${blocking === GPU_BLOCKING ? "gpu" : "software"} blocks`;
      expect(relError(got.y, want.y), `convolution ${label}`).toBeLessThan(1e-4);
      expect(relError(got.fused, want.fused), `fused convolution ${label}`).toBeLessThan(1e-4);
      expect(relError(got.dw, want.dw), `filter gradient ${label}`).toBeLessThan(1e-4);
      expect(relError(got.dx, want.dx), `input gradient ${label}`).toBeLessThan(1e-4);
    }

    setConvBlocking(SOFTWARE_BLOCKING);

    // Batch norm, forward and backward, against the composed version on the cpu backend.
    for (const shape of [
      [2, 5, 7, 3],
      [4, 8, 8, 16],
      [3, 3, 3, 70],
    ] as const) {
      const n = shape.reduce((a, b) => a * b, 1);
      const xs = randomArray(n, r),
        dys = randomArray(n, r),
        gs = randomArray(shape[3], r),
        bs = randomArray(shape[3], r);
      const run = async () => {
        const x = tf.tensor4d(xs, [...shape]),
          g = tf.tensor1d(gs),
          b = tf.tensor1d(bs),
          dy = tf.tensor4d(dys, [...shape]);
        let stats: { mean: tf.Tensor1D; variance: tf.Tensor1D } | undefined;
        const { value, grads } = tf.valueAndGrads((xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => {
          const out = batchNormTrain(xi, gi as tf.Tensor1D, bi as tf.Tensor1D, 1e-3);
          stats = { mean: out.mean, variance: out.variance };
          return tf.sum(tf.mul(out.y, dy));
        })([x, g, b]);
        const res = { y: await value.data(), grads: await Promise.all(grads.map((t) => t.data())), mean: await stats!.mean.data(), variance: await stats!.variance.data() };
        tf.dispose([x, g, b, dy, value, ...grads, stats!.mean, stats!.variance]);
        return res;
      };
      await tf.setBackend("cpu");
      const want = await run();
      await tf.setBackend("webgpu");
      const got = await run();
      expect(relError(got.mean, want.mean)).toBeLessThan(1e-4);
      expect(relError(got.variance, want.variance)).toBeLessThan(1e-3);
      expect(relError(got.y, want.y)).toBeLessThan(1e-3);
      got.grads.forEach((g, i) => expect(relError(g, want.grads[i]!), `batch norm gradient ${i} of ${shape}`).toBeLessThan(1e-3));
    }

    // Adam: three steps of fewlabel's fused update on webgpu give tfjs's AdamOptimizer's weights and moments on cpu.
    const shapes = [[3, 3, 4, 8], [8], [5, 7]];
    const init = shapes.map((sh) =>
      randomArray(
        sh.reduce((a, b) => a * b, 1),
        r,
      ),
    );
    const gradsAt = (step: number) =>
      shapes.map((sh) =>
        randomArray(
          sh.reduce((a, b) => a * b, 1),
          mulberry32(100 + step),
        ),
      );
    const adamRun = async (make: () => tf.Optimizer) => {
      const vars = shapes.map((sh, i) => tf.variable(tf.tensor(init[i]!, sh), true, `adamTest${tf.getBackend()}${i}${Math.random()}`));
      const opt = make();
      for (let step = 0; step < 3; step++) {
        const g = gradsAt(step);
        opt.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: tf.tensor(g[i]!, v.shape) })));
      }
      const weights = await opt.getWeights();
      const res = { vars: await Promise.all(vars.map((v) => v.data())), slots: await Promise.all(weights.slice(1).map((w) => w.tensor.data())) };
      tf.dispose([...vars, ...weights.map((w) => w.tensor)]);
      opt.dispose();
      return res;
    };
    await tf.setBackend("cpu");
    const adamWant = await adamRun(() => tf.train.adam(0.01));
    await tf.setBackend("webgpu");
    expect(tf.getKernel(ADAM_UPDATE, "webgpu")).toBeDefined();
    const adamGot = await adamRun(() => createOptimizer("adam", 0.01));
    adamWant.vars.forEach((v, i) => expect(relError(adamGot.vars[i]!, v), `Adam weights ${i}`).toBeLessThan(1e-5));
    expect(adamGot.slots.length).toBe(adamWant.slots.length);
    adamWant.slots.forEach((v, i) => expect(relError(adamGot.slots[i]!, v), `Adam moments ${i}`).toBeLessThan(1e-5));

    // Relu and Step (relu's gradient) as tfjs has them: NaN stays NaN, Step's alpha below zero; sizes in fours or not.
    for (const n of [12, 7]) {
      const vals = [Number.NaN, -2, -0.5, 0, 0.25, 3, Number.NEGATIVE_INFINITY, 5, -1, 2, 0.5, -3].slice(0, n);
      const run = async () => {
        const x = tf.tensor1d(vals);
        const out = { relu: Array.from(await tf.relu(x).data()), step: Array.from(await tf.step(x, 0.3).data()) };
        x.dispose();
        return out;
      };
      await tf.setBackend("cpu");
      const want = await run();
      await tf.setBackend("webgpu");
      expect(await run(), `relu and step of ${n}`).toEqual(want);
    }

    // The stock kernels can be put back (the benchmark compares both in one process), and fewlabel's again.
    useWebGPUKernels("stock");
    expect(webgpuKernelSet()).toBe("stock");
    useWebGPUKernels("fewlabel");
    expect(webgpuKernelSet()).toBe("fewlabel");
  });
});
