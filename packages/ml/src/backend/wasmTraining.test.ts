import { beforeAll, describe, expect, it } from "vitest";
import { tf } from "../tf.js";
import { selectBackend } from "./select.js";
import { mulberry32, randomArray } from "../util/random.js";
import { conv2dFilterGradient } from "./wasmTraining.js";

// Runs fn on the given backend and returns plain arrays, so the two backends' results can be compared.
async function on(backend: string, fn: () => tf.Tensor[]): Promise<{ shape: number[]; values: Float32Array }[]> {
  await tf.setBackend(backend);
  const out = tf.tidy(fn);
  const res = out.map((t) => ({ shape: t.shape, values: t.dataSync() as Float32Array }));
  tf.dispose(out);
  return res;
}

function expectClose(a: Float32Array, b: Float32Array, tol = 1e-4) {
  expect(a.length).toBe(b.length);
  let maxRef = 0;
  for (const v of b) maxRef = Math.max(maxRef, Math.abs(v));
  let maxErr = 0;
  for (let i = 0; i < a.length; i++) maxErr = Math.max(maxErr, Math.abs(a[i]! - b[i]!));
  expect(maxErr).toBeLessThanOrEqual(tol * Math.max(1, maxRef));
}

beforeAll(async () => {
  const r = await selectBackend({ order: ["wasm"] });
  expect(r.name).toBe("wasm");
  // The gradients below must exercise the hand-written kernel, not silently the composed fallback.
  expect(r.detail).toContain("fewlabel SIMD kernels");
});

describe("wasm conv2d gradients match the cpu backend", () => {
  const rand = mulberry32(42);
  const cases: { stride: number; pad: "same" | "valid"; k: number; batch: number }[] = [];
  for (const stride of [1, 2]) for (const pad of ["same", "valid"] as const) for (const k of [1, 3]) for (const batch of [1, 3]) cases.push({ stride, pad, k, batch });
  for (const c of cases) {
    it(`stride ${c.stride}, ${c.pad}, ${c.k}x${c.k}, batch ${c.batch}`, async () => {
      const h = 4 + Math.floor(rand() * 6),
        w = 4 + Math.floor(rand() * 6);
      const ci = 1 + Math.floor(rand() * 4),
        co = 1 + Math.floor(rand() * 5);
      const xs = randomArray(c.batch * h * w * ci, rand);
      const ws = randomArray(c.k * c.k * ci * co, rand);
      const outShape = tf.tidy(() => tf.conv2d(tf.zeros([c.batch, h, w, ci]) as tf.Tensor4D, tf.zeros([c.k, c.k, ci, co]) as tf.Tensor4D, c.stride, c.pad).shape);
      const rs = randomArray(
        outShape.reduce((a, b) => a * b, 1),
        rand,
      );
      const run = () => {
        const x = tf.tensor4d(xs, [c.batch, h, w, ci]);
        const f = tf.tensor4d(ws, [c.k, c.k, ci, co]);
        const r = tf.tensor(rs, outShape);
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad), r)));
        return [tf.conv2d(x, f, c.stride, c.pad), ...g([x, f])];
      };
      const ref = await on("cpu", run);
      const got = await on("wasm", run);
      for (let i = 0; i < ref.length; i++) {
        expect(got[i]!.shape).toEqual(ref[i]!.shape);
        expectClose(got[i]!.values, ref[i]!.values);
      }
    });
  }

  // Channel counts across the SIMD kernel's 4 (input) x 8 (output) blocks and its padding of the remainders;
  // spatial sizes on both sides of its chunking (rows of one image vs several whole images per chunk).
  for (const [n, h, ci, co, k, stride, pad] of [
    [5, 13, 6, 11, 3, 1, "same"],
    [3, 16, 8, 16, 3, 2, "same"],
    [9, 4, 12, 24, 3, 1, "same"],
    [2, 17, 5, 9, 1, 2, "valid"],
    [4, 11, 3, 16, 3, 2, "valid"],
  ] as const) {
    it(`filter gradient of ${n}x${h}x${h}x${ci} -> ${co}, ${k}x${k}, stride ${stride}, ${pad}`, async () => {
      const rand3 = mulberry32(n * 1000 + h);
      const xs = randomArray(n * h * h * ci, rand3),
        ws = randomArray(k * k * ci * co, rand3);
      const run = () => {
        const x = tf.tensor4d(xs, [n, h, h, ci]),
          f = tf.tensor4d(ws, [k, k, ci, co]);
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad))));
        return g([x, f]);
      };
      const ref = await on("cpu", run);
      const got = await on("wasm", run);
      for (let i = 0; i < ref.length; i++) expectClose(got[i]!.values, ref[i]!.values);
    });
  }

  // The SIMD convolution kernel (forward at any stride, and the input gradient through its stride-1
  // convolutions): input channels padded to 4, output channels to 8, rows whose width is not a multiple of 4.
  for (const [n, h, w, ci, co, k, stride, pad] of [
    [2, 9, 7, 3, 16, 3, 1, "same"],
    [3, 8, 8, 4, 8, 3, 1, "valid"],
    [1, 6, 13, 5, 24, 5, 1, "same"],
    [2, 5, 6, 12, 32, 1, 1, "same"],
    [4, 7, 7, 1, 8, 2, 1, "valid"],
    [2, 9, 6, 3, 5, 3, 1, "same"],
    [3, 16, 16, 8, 16, 3, 2, "same"],
    [2, 11, 9, 6, 12, 3, 2, "valid"],
    [2, 10, 10, 16, 32, 1, 2, "same"],
  ] as const) {
    it(`convolution ${n}x${h}x${w}x${ci} -> ${co}, ${k}x${k}, stride ${stride}, ${pad}, and its gradients`, async () => {
      const rand5 = mulberry32(n * 100 + ci * 10 + co + stride);
      const xs = randomArray(n * h * w * ci, rand5),
        ws = randomArray(k * k * ci * co, rand5);
      const run = () => {
        const x = tf.tensor4d(xs, [n, h, w, ci]),
          f = tf.tensor4d(ws, [k, k, ci, co]);
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad))));
        return [tf.conv2d(x, f, stride, pad), ...g([x, f])];
      };
      const ref = await on("cpu", run);
      const got = await on("wasm", run);
      for (let i = 0; i < ref.length; i++) {
        expect(got[i]!.shape).toEqual(ref[i]!.shape);
        expectClose(got[i]!.values, ref[i]!.values);
      }
    });
  }

  it("a convolution the SIMD kernel does not take (bias and relu fused) still runs on XNNPACK", async () => {
    const rand6 = mulberry32(9);
    const xs = randomArray(2 * 6 * 6 * 4, rand6),
      ws = randomArray(3 * 3 * 4 * 8, rand6),
      bs = randomArray(8, rand6);
    const run = () => [tf.fused.conv2d({ x: tf.tensor4d(xs, [2, 6, 6, 4]), filter: tf.tensor4d(ws, [3, 3, 4, 8]), strides: 1, pad: "same", bias: tf.tensor1d(bs), activation: "relu" })];
    expectClose((await on("wasm", run))[0]!.values, (await on("cpu", run))[0]!.values);
  });

  it("the composed filter gradient (the fallback without the SIMD kernel) matches too", async () => {
    const rand4 = mulberry32(11);
    for (const [stride, pad, k] of [
      [1, "same", 3],
      [2, "same", 3],
      [2, "valid", 1],
      [1, "valid", 3],
    ] as const) {
      const xs = randomArray(3 * 9 * 9 * 5, rand4),
        dys = randomArray(3 * 9 * 9 * 6, rand4);
      const run = (composed: boolean) => () => {
        const x = tf.tensor4d(xs, [3, 9, 9, 5]);
        const outShape = tf.conv2d(x, tf.zeros([k, k, 5, 6]) as tf.Tensor4D, stride, pad).shape;
        const dy = tf.tensor4d(
          dys.subarray(
            0,
            outShape.reduce((a, b) => a * b, 1),
          ),
          outShape,
        );
        return [composed ? conv2dFilterGradient(x, dy, [k, k, 5, 6], stride, pad) : tf.grad((f: tf.Tensor) => tf.conv2d(x, f as tf.Tensor4D, stride, pad))(tf.zeros([k, k, 5, 6]), dy)];
      };
      const ref = await on("cpu", run(false));
      const got = await on("wasm", run(true));
      expectClose(got[0]!.values, ref[0]!.values);
    }
  });

  it("handles odd sizes with stride 2 and explicit padding", async () => {
    const rand2 = mulberry32(7);
    const xs = randomArray(2 * 7 * 9 * 3, rand2),
      ws = randomArray(3 * 3 * 3 * 4, rand2);
    const pad: [[number, number], [number, number], [number, number], [number, number]] = [
      [0, 0],
      [2, 0],
      [1, 1],
      [0, 0],
    ];
    const run = () => {
      const x = tf.tensor4d(xs, [2, 7, 9, 3]),
        f = tf.tensor4d(ws, [3, 3, 3, 4]);
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, pad))));
      return g([x, f]);
    };
    const ref = await on("cpu", run);
    const got = await on("wasm", run);
    for (let i = 0; i < ref.length; i++) expectClose(got[i]!.values, ref[i]!.values);
  });
});

describe("wasm UnsortedSegmentSum", () => {
  it("matches cpu directly and as the gradient of gather", async () => {
    const rand = mulberry32(3);
    const data = randomArray(6 * 4, rand);
    const run = () => {
      const x = tf.tensor2d(data, [6, 4]);
      const ids = tf.tensor1d([0, 2, 2, 1, 0, 4], "int32");
      const seg = tf.unsortedSegmentSum(x, ids, 5);
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.gather(t, tf.tensor1d([1, 1, 5, 0], "int32")))))(x);
      return [seg, g];
    };
    const ref = await on("cpu", run);
    const got = await on("wasm", run);
    for (let i = 0; i < ref.length; i++) {
      expect(got[i]!.shape).toEqual(ref[i]!.shape);
      expectClose(got[i]!.values, ref[i]!.values);
    }
  });
});
