// SimCLR training-step and forward throughput of the reference model on every available backend, next to
// the stock tfjs `cpu` backend in the same run.
//   npx tsx packages/ml/bench/train.ts [--backends=wasm,cpu] [--steps=5] [--batch=128] [--cpu-batch=2]
//                                      [--inputs=32x32x3,28x28x1] [--forward-batch=256]
// Reference model: CIFAR-style ResNet-18, base width 16 (16/32/64/128), 3-layer projection head (128-128-128),
// NT-Xent (T = 0.5), Adam. One step = both views of `batch` pairs (2 x batch images counted), forward +
// backward + update; augmentation is not timed (inputs are pre-made random views), as in bench/torch_ref.py.
// Last line: one JSON object with every figure.
import { tf } from "../src/tf.js";
import { selectBackend, type BackendName } from "../src/backend/select.js";
import { createEncoder, resnet18Config } from "../src/models/resnet.js";
import { createProjectionHead } from "../src/models/heads.js";
import { ntXentLoss } from "../src/losses/ntXent.js";
import { createOptimizer } from "../src/optim/lars.js";
import { variablesOf } from "../src/models/variables.js";
import { useWebGPUKernels, type WebGPUKernelSet } from "../src/backend/webgpuTraining.js";

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, "").split("=");
    return [k!, v ?? "true"];
  }),
);
const num = (k: string, d: number) => Number(args.get(k) ?? process.env[`BENCH_${k.toUpperCase().replace(/-/g, "_")}`] ?? d);
const steps = num("steps", 5);
const batch = num("batch", 128);
const cpuBatch = num("cpu-batch", 2);
const forwardBatch = num("forward-batch", 256);
const inputs = (args.get("inputs") ?? "32x32x3,28x28x1").split(",").map((s) => s.split("x").map(Number) as [number, number, number]);
const requested = (args.get("backends") ?? process.env.BENCH_BACKENDS ?? "tensorflow,webgpu,wasm,cpu").split(",") as BackendName[];

interface Result {
  backend: string;
  /** webgpu rows: whose training kernels ran (tfjs's stock ones or fewlabel's, src/backend/webgpuTraining.ts). */
  kernels?: WebGPUKernelSet;
  /** webgpu rows: the adapter, as Dawn names it. */
  adapter?: string;
  detail: string;
  input: string;
  trainImagesPerSecond: number;
  forwardImagesPerSecond: number | null;
  batch: number;
  forwardBatch: number;
  steps: number;
}

function log(s: string) {
  console.log(s);
}

async function benchOne(backend: string, detail: string, [h, w, c]: [number, number, number], pairs: number, nSteps: number, fwdBatch: number): Promise<Result> {
  const cfg = resnet18Config(h, c as 1 | 3, 16);
  const encoder = createEncoder(cfg, "benc");
  const head = createProjectionHead({ inputDim: 128, hiddenDim: 128, outputDim: 128 }, "bproj");
  const optimizer = createOptimizer("adam", 1e-3);
  const vars = variablesOf(encoder, head);
  const views = tf.randomUniform([2 * pairs, h, w, c], 0, 1, "float32", 1) as tf.Tensor4D;
  const step = () =>
    tf.tidy(() => {
      const cost = optimizer.minimize(
        () => {
          const z = head.apply(encoder.apply(views, { training: true }) as tf.Tensor, { training: true }) as tf.Tensor2D;
          const [z1, z2] = tf.split(z, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
          return ntXentLoss(z1, z2, 0.5);
        },
        true,
        vars,
      );
      return cost!;
    });
  // Reads are asynchronous: the webgpu backend has no synchronous read in Node.
  const run = async () => {
    const c = step();
    const v = (await c.data())[0]!;
    c.dispose();
    return v;
  };
  const t0 = performance.now();
  // Warm-up (shader compilation, wasm operator setup, memory growth); the stock cpu backend needs none and
  // is far too slow to spend a step on.
  if (backend !== "cpu") await run();
  const warm = performance.now() - t0;
  const t1 = performance.now();
  let loss = 0;
  for (let i = 0; i < nSteps; i++) loss = await run();
  const trainMs = (performance.now() - t1) / nSteps;
  const x = tf.randomUniform([fwdBatch, h, w, c], 0, 1, "float32", 2) as tf.Tensor4D;
  const fwd = async () => {
    const h = tf.tidy(() => encoder.apply(x, { training: false }) as tf.Tensor);
    await h.data();
    h.dispose();
  };
  if (backend !== "cpu") await fwd();
  const fwdSteps = backend === "cpu" ? 1 : Math.max(2, nSteps);
  const t2 = performance.now();
  for (let i = 0; i < fwdSteps; i++) await fwd();
  const fwdMs = (performance.now() - t2) / fwdSteps;
  const r: Result = {
    backend,
    detail,
    input: `${h}x${w}x${c}`,
    trainImagesPerSecond: round((2 * pairs * 1000) / trainMs),
    forwardImagesPerSecond: round((fwdBatch * 1000) / fwdMs),
    batch: pairs,
    forwardBatch: fwdBatch,
    steps: nSteps,
  };
  log(
    `${backend.padEnd(10)} ${r.input.padEnd(8)} train ${String(r.trainImagesPerSecond).padStart(8)} img/s (batch ${pairs} pairs = ${2 * pairs} images, ${nSteps} steps of ${trainMs.toFixed(0)} ms, warm-up ${warm.toFixed(0)} ms, loss ${loss.toFixed(3)})` +
      `   forward ${String(r.forwardImagesPerSecond).padStart(8)} img/s (batch ${fwdBatch})`,
  );
  tf.dispose([views, x]);
  optimizer.dispose();
  encoder.dispose();
  head.dispose();
  return r;
}

const round = (v: number) => Number(v.toPrecision(v >= 100 ? 4 : 3));

// wasm on every core: data-parallel worker threads (src/parallel/dataParallel.ts), training step only. Run
// right after the single-thread wasm figures, before the stock cpu backend fills the main thread's heap.
const workers = num("workers", (await import("node:os")).availableParallelism());
async function benchWorkers() {
  const { DataParallelTrainer } = await import("../src/parallel/dataParallel.js");
  for (const [h, w, c] of inputs) {
    const dp = await DataParallelTrainer.create({
      workers,
      encoder: createEncoder(resnet18Config(h, c as 1 | 3, 16), "benc"),
      head: createProjectionHead({ inputDim: 128, hiddenDim: 128, outputDim: 128 }, "bproj"),
      learningRate: 1e-3,
      temperature: 0.5,
      maxViews: 2 * batch,
    });
    const views = new Float32Array(2 * batch * h * w * c).map(() => Math.random());
    const shape: [number, number, number, number] = [2 * batch, h, w, c];
    await dp.step(views, shape, 1e-3);
    const t0 = performance.now();
    let loss = 0;
    for (let i = 0; i < steps; i++) loss = await dp.step(views, shape, 1e-3);
    const ms = (performance.now() - t0) / steps;
    await dp.dispose();
    const r: Result = {
      backend: `wasm-${workers}workers`,
      detail: `${workers} worker threads, data-parallel, per-shard batch norm`,
      input: `${h}x${w}x${c}`,
      trainImagesPerSecond: round((2 * batch * 1000) / ms),
      forwardImagesPerSecond: null, // inference is not parallelised here
      batch,
      forwardBatch: 0,
      steps,
    };
    results.push(r);
    log(
      `${r.backend.padEnd(10)} ${r.input.padEnd(8)} train ${String(r.trainImagesPerSecond).padStart(8)} img/s (batch ${batch} pairs, ${steps} steps of ${ms.toFixed(0)} ms, loss ${loss.toFixed(3)})`,
    );
  }
}

const results: Result[] = [];
const skipped: { backend: string; reason: string }[] = [];
for (const name of requested) {
  let detail = "";
  try {
    const rep = await selectBackend({ order: [name], allowSoftwareWebGPU: process.env.FEWLABEL_TF_BACKEND === "webgpu" || args.has("software-webgpu") });
    detail = rep.detail;
  } catch (e) {
    skipped.push({ backend: name, reason: (e as Error).message.split("\n")[0]! });
    log(`${name.padEnd(10)} unavailable: ${(e as Error).message.split("\n")[0]}`);
    continue;
  }
  log(`${name.padEnd(10)} ${detail}`);
  const stock = name === "cpu";
  // webgpu: the same model and step with tfjs's stock training kernels and with fewlabel's, one after the other.
  const kernelSets: (WebGPUKernelSet | null)[] = name === "webgpu" ? ["stock", "fewlabel"] : [null];
  for (const input of inputs) {
    for (const kernels of kernelSets) {
      if (kernels) useWebGPUKernels(kernels);
      try {
        const r = await benchOne(kernels ? `${name}-${kernels}` : name, detail, input, stock ? cpuBatch : batch, stock ? 1 : steps, stock ? Math.max(cpuBatch * 2, 8) : forwardBatch);
        results.push(kernels ? { ...r, backend: name, kernels, adapter: detail.replace(/^Dawn: /, "").replace(/; .*$/, "") } : r);
      } catch (e) {
        skipped.push({ backend: name, reason: `${input.join("x")}${kernels ? ` (${kernels} kernels)` : ""}: ${(e as Error).message.split("\n")[0]}` });
        log(`${name} ${input.join("x")} failed: ${(e as Error).message}`);
      }
    }
  }
  if (name === "webgpu") useWebGPUKernels("fewlabel");
  if (name === "wasm" && workers > 1 && results.some((r) => r.backend === "wasm")) await benchWorkers();
}

const at = (b: string, input = "32x32x3") => results.find((r) => r.backend === b && r.input === input && !r.kernels);
const wasm = at("wasm"),
  cpu = at("cpu");
const summary = {
  model: "CIFAR ResNet-18 (widths 16/32/64/128, 3x3 stem, no max-pool) + 3-layer projection head 128-128-128, NT-Xent T=0.5, Adam",
  results: results.map(({ backend, kernels, adapter, input, trainImagesPerSecond, forwardImagesPerSecond, batch, forwardBatch, detail }) => ({
    backend,
    ...(kernels ? { kernels, adapter } : {}),
    input,
    trainImagesPerSecond,
    forwardImagesPerSecond,
    batch,
    forwardBatch,
    detail,
  })),
  wasmOverCpu: wasm && cpu ? round(wasm.trainImagesPerSecond / cpu.trainImagesPerSecond) : null,
  wasmWorkersOverCpu: at(`wasm-${workers}workers`) && cpu ? round(at(`wasm-${workers}workers`)!.trainImagesPerSecond / cpu.trainImagesPerSecond) : null,
  wasmOverCpuForward: wasm && cpu ? round(wasm.forwardImagesPerSecond! / cpu.forwardImagesPerSecond!) : null,
  // fewlabel's webgpu kernels over tfjs's stock ones, training step, per input (issue 16's figure on any adapter).
  webgpuFewlabelOverStock: Object.fromEntries(
    inputs.flatMap(([h, w, c]) => {
      const input = `${h}x${w}x${c}`;
      const row = (k: WebGPUKernelSet) => results.find((r) => r.backend === "webgpu" && r.kernels === k && r.input === input);
      const [s, f] = [row("stock"), row("fewlabel")];
      return s && f ? [[input, round(f.trainImagesPerSecond / s.trainImagesPerSecond)]] : [];
    }),
  ),
  skipped,
  note: "batch = image pairs per training step (2 x batch images counted); forwardBatch = images per inference call",
};
console.log(JSON.stringify(summary));
