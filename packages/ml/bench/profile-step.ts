// Per-kernel time of one SimCLR training step on the wasm backend (where the time goes).
//   npx tsx packages/ml/bench/profile-step.ts [--batch=128] [--input=32x32x3] [--top=30]
import { tf } from "../src/tf.js";
import { selectBackend } from "../src/backend/select.js";
import { createEncoder, resnet18Config } from "../src/models/resnet.js";
import { createProjectionHead } from "../src/models/heads.js";
import { ntXentLoss } from "../src/losses/ntXent.js";
import { variablesOf } from "../src/models/variables.js";

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, "").split("=");
    return [k!, v ?? "true"];
  }),
);
const pairs = Number(args.get("batch") ?? 128);
const [h, w, c] = (args.get("input") ?? "32x32x3").split("x").map(Number) as [number, number, number];
const top = Number(args.get("top") ?? 30);
await selectBackend({ order: [(args.get("backend") ?? "wasm") as "wasm"] });
const encoder = createEncoder(resnet18Config(h, c as 1 | 3, 16), "penc");
const head = createProjectionHead({ inputDim: 128, hiddenDim: 128, outputDim: 128 }, "pproj");
const optimizer = tf.train.adam(1e-3);
const vars = variablesOf(encoder, head);
const views = tf.randomUniform([2 * pairs, h, w, c], 0, 1, "float32", 1) as tf.Tensor4D;
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
step().dispose();
step().dispose();
const t0 = performance.now();
for (let i = 0; i < 3; i++) step().dispose();
const plain = (performance.now() - t0) / 3;
const info = await tf.profile(() => {
  step().dispose();
});
const rows = new Map<string, { ms: number; n: number }>();
let total = 0;
for (const k of info.kernels) {
  const ms = Number(k.kernelTimeMs);
  total += ms;
  const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
  const r = rows.get(key) ?? { ms: 0, n: 0 };
  r.ms += ms;
  r.n++;
  rows.set(key, r);
}
const byName = new Map<string, number>();
for (const k of info.kernels) byName.set(k.name, (byName.get(k.name) ?? 0) + Number(k.kernelTimeMs));
console.log(`step ${plain.toFixed(0)} ms unprofiled; kernels sum ${total.toFixed(0)} ms over ${info.kernels.length} kernels`);
for (const [k, ms] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`${ms.toFixed(1).padStart(8)} ms ${k}`);
console.log("--- by shape");
for (const [k, r] of [...rows].sort((a, b) => b[1].ms - a[1].ms).slice(0, top)) console.log(`${r.ms.toFixed(1).padStart(8)} ms x${r.n} ${k}`);
