// The convolution gradient kernels alone on webgpu, stock against fewlabel's, on the reference model's layer shapes
// (ResNet-18 of width 16 at 32x32, `--images` per step): where bench/webgpu-profile.ts says the time goes, kernel by
// kernel. npx tsx packages/ml/bench/webgpu-kernels.ts [--images=32] [--reps=3] [--kernels=stock,fewlabel]
import { tf } from "../src/tf.js";
import { selectBackend } from "../src/backend/select.js";
import { useWebGPUKernels, type WebGPUKernelSet } from "../src/backend/webgpuTraining.js";

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, "").split("=");
    return [k!, v ?? "true"];
  }),
);
const n = Number(args.get("images") ?? 32);
const reps = Number(args.get("reps") ?? 3);
const sets = (args.get("kernels") ?? "stock,fewlabel").split(",") as WebGPUKernelSet[];
const report = await selectBackend({ order: ["webgpu"], allowSoftwareWebGPU: true });
console.log(report.detail);

// [height, cin, cout, filter, stride]
const layers: [number, number, number, number, 1 | 2][] = [
  [32, 3, 16, 3, 1],
  [32, 16, 16, 3, 1],
  [32, 16, 32, 3, 2],
  [32, 16, 32, 1, 2],
  [16, 32, 32, 3, 1],
  [8, 64, 64, 3, 1],
  [4, 128, 128, 3, 1],
];

async function time(f: () => tf.Tensor): Promise<number> {
  const warm = f();
  await warm.data();
  warm.dispose();
  const t0 = performance.now();
  const outs = Array.from({ length: reps }, f);
  await outs[outs.length - 1]!.data();
  tf.dispose(outs);
  return (performance.now() - t0) / reps;
}

const rows: Record<string, unknown>[] = [];
for (const [hw, cin, cout, f, stride] of layers) {
  const x = tf.randomUniform([n, hw, hw, cin], -1, 1) as tf.Tensor4D;
  const w = tf.randomUniform([f, f, cin, cout], -1, 1) as tf.Tensor4D;
  const oh = Math.ceil(hw / stride);
  const dy = tf.randomUniform([n, oh, oh, cout], -1, 1) as tf.Tensor4D;
  const pad = f === 1 ? "valid" : "same";
  const row: Record<string, unknown> = { layer: `${hw}x${hw}x${cin} -> ${cout}, ${f}x${f}/${stride}` };
  for (const set of sets) {
    useWebGPUKernels(set);
    const filterMs = await time(() => tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, { strides: stride, pad, dataFormat: "NHWC", filterShape: [f, f, cin, cout] }) as tf.Tensor);
    const inputMs = await time(() => tf.engine().runKernel("Conv2DBackpropInput", { dy, filter: w }, { strides: stride, pad, dataFormat: "NHWC", inputShape: [n, hw, hw, cin] }) as tf.Tensor);
    const forwardMs = await time(() => tf.conv2d(x, w, stride, pad));
    row[set] = { filterMs: Number(filterMs.toFixed(1)), inputMs: Number(inputMs.toFixed(1)), forwardMs: Number(forwardMs.toFixed(1)) };
  }
  console.log(JSON.stringify(row));
  rows.push(row);
  tf.dispose([x, w, dy]);
}
const sum = (set: string, k: string) => rows.reduce((a, r) => a + ((r[set] as Record<string, number>)[k] ?? 0), 0);
console.log(
  JSON.stringify({
    adapter: report.detail,
    images: n,
    totals: Object.fromEntries(
      sets.map((s) => [s, { filterMs: Number(sum(s, "filterMs").toFixed(1)), inputMs: Number(sum(s, "inputMs").toFixed(1)), forwardMs: Number(sum(s, "forwardMs").toFixed(1)) }]),
    ),
  }),
);
