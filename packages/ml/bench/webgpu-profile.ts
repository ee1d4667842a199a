// Per-kernel profile of one SimCLR training step on webgpu (issue 16): which kernels a step runs, and what share of
// the step each kind takes, with tfjs's stock training kernels and with fewlabel's.
//   npx tsx packages/ml/bench/webgpu-profile.ts [--batch=16] [--input=32x32x3] [--reps=3] [--kernels=stock,fewlabel]
// Dawn's OpenGL ES backend (Mesa, no GPU) has no timestamp queries, so the profile replays: one step is recorded
// (every kernel the engine runs: name, input shapes and dtypes, attributes), then each recorded call is run again alone
// `reps` times on fresh inputs of its shapes, waiting for the GPU after each batch of runs; a kernel kind's share is
// the sum of its calls' times over the sum of all. Replayed alone, calls lose the overlap a real step has, so the
// shares are of the GPU's work, and the step's own wall time is printed beside them. Same model and step as
// bench/train.ts (the reference ResNet-18 of width 16 + projection head, NT-Xent, Adam). Last line: JSON.
import { tf } from "../src/tf.js";
import { selectBackend } from "../src/backend/select.js";
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
const batch = Number(args.get("batch") ?? 16);
const reps = Number(args.get("reps") ?? 3);
const [h, w, c] = (args.get("input") ?? "32x32x3").split("x").map(Number) as [number, number, number];
const sets = (args.get("kernels") ?? "stock,fewlabel").split(",") as WebGPUKernelSet[];

const report = await selectBackend({ order: ["webgpu"], allowSoftwareWebGPU: true });
console.log(report.detail);

interface Call {
  name: string;
  inputs: { name: string; shape: number[]; dtype: tf.DataType }[];
  attrs: tf.NamedAttrMap;
}

/** Every kernel the engine runs while `f` runs (nested ones too: gradients call kernels from kernels' grad funcs). */
function record(f: () => void): Call[] {
  const engine = tf.engine() as unknown as { runKernel: (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap) => unknown };
  const calls: Call[] = [];
  const original = engine.runKernel.bind(engine);
  engine.runKernel = (name, inputs, attrs) => {
    calls.push({
      name,
      inputs: Object.entries(inputs)
        .filter(([, t]) => t)
        .map(([n, t]) => ({ name: n, shape: [...t.shape], dtype: t.dtype })),
      attrs: { ...(attrs ?? {}) },
    });
    return original(name, inputs, attrs);
  };
  try {
    f();
  } finally {
    engine.runKernel = original;
  }
  return calls;
}

const cfg = resnet18Config(h, c as 1 | 3, 16);
const encoder = createEncoder(cfg, "penc");
const head = createProjectionHead({ inputDim: 128, hiddenDim: 128, outputDim: 128 }, "pproj");
const optimizer = createOptimizer("adam", 1e-3);
const vars = variablesOf(encoder, head);
const views = tf.randomUniform([2 * batch, h, w, c], 0, 1, "float32", 1) as tf.Tensor4D;
const step = () =>
  tf.tidy(
    () =>
      optimizer.minimize(
        () => {
          const z = head.apply(encoder.apply(views, { training: true }) as tf.Tensor, { training: true }) as tf.Tensor2D;
          const [z1, z2] = tf.split(z, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
          return ntXentLoss(z1, z2, 0.5);
        },
        true,
        vars,
      )!,
  );

const out: Record<string, unknown> = {};
for (const set of sets) {
  useWebGPUKernels(set);
  // Warm-up (shader compilation), then one step's wall time.
  for (let i = 0; i < 2; i++) {
    const l = step();
    await l.data();
    l.dispose();
  }
  const t0 = performance.now();
  const l = step();
  await l.data();
  const stepMs = performance.now() - t0;
  l.dispose();
  // Kernels composed of other ops (fewlabel's batch norm coefficients) run their inner ops through runKernelFunc, not
  // runKernel: only the calls the step itself makes are recorded and replayed, each whole.
  const calls = record(() => step().dispose());
  const byKind = new Map<string, { ms: number; calls: number }>();
  // The cost of waiting for the GPU once, to take off each measurement.
  const sync = async () => {
    const t = tf.zeros([1]);
    const s = performance.now();
    await t.data();
    t.dispose();
    return performance.now() - s;
  };
  let syncMs = 0;
  for (let i = 0; i < 3; i++) syncMs += (await sync()) / 3;
  for (const call of calls) {
    const named: tf.NamedTensorMap = Object.fromEntries(call.inputs.map((t) => [t.name, t.dtype === "float32" ? tf.randomUniform(t.shape, -1, 1) : tf.zeros(t.shape, t.dtype)]));
    const inputs = named;
    let ms = 0;
    try {
      // One untimed run (compiles the shader for these shapes), then `reps` timed ones.
      const first = tf.engine().runKernel(call.name, named, call.attrs) as tf.Tensor | tf.Tensor[];
      await (Array.isArray(first) ? first[0]! : first).data();
      tf.dispose(first);
      const s = performance.now();
      const outs: (tf.Tensor | tf.Tensor[])[] = [];
      for (let r = 0; r < reps; r++) outs.push(tf.engine().runKernel(call.name, named, call.attrs) as tf.Tensor | tf.Tensor[]);
      const last = outs[outs.length - 1]!;
      await (Array.isArray(last) ? last[0]! : last).data();
      ms = Math.max(0, (performance.now() - s - syncMs) / reps);
      tf.dispose(outs.flat());
    } catch {
      ms = NaN; // a call that cannot be replayed alone (inputs whose values matter); counted as unmeasured
    }
    tf.dispose(Object.values(inputs));
    const k = byKind.get(call.name) ?? { ms: 0, calls: 0 };
    k.ms += Number.isNaN(ms) ? 0 : ms;
    k.calls++;
    byKind.set(call.name, k);
  }
  const total = [...byKind.values()].reduce((a, b) => a + b.ms, 0);
  const rows = [...byKind.entries()].sort((a, b) => b[1].ms - a[1].ms);
  console.log(
    `\n${set} kernels: one step of ${2 * batch} images ${stepMs.toFixed(0)} ms (${((2 * batch * 1000) / stepMs).toFixed(1)} img/s); replayed kernels ${total.toFixed(0)} ms in ${calls.length} calls`,
  );
  for (const [name, k] of rows.slice(0, 15)) console.log(`  ${name.padEnd(28)} ${k.ms.toFixed(1).padStart(9)} ms ${((100 * k.ms) / total).toFixed(1).padStart(5)}%  ${k.calls} calls`);
  out[set] = {
    stepMs: Math.round(stepMs),
    imagesPerSecond: Number(((2 * batch * 1000) / stepMs).toFixed(2)),
    kernels: Object.fromEntries(rows.map(([n, k]) => [n, { ms: Number(k.ms.toFixed(2)), share: Number((k.ms / total).toFixed(4)), calls: k.calls }])),
  };
}
console.log(JSON.stringify({ adapter: report.detail, batch, input: `${h}x${w}x${c}`, ...out }));
