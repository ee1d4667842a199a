// npx tsx packages/experiments/bench/estimate.ts [--budget full] [--steps 3] [--workers N]
// Estimates how long a budget takes on this machine without running it: times a few steps of each kind of stage
// (contrastive pretraining, supervised/fine-tuning, distillation, linear probe, scoring) with the budget's own
// models and batch sizes on real Fashion-MNIST images, then multiplies by the budget's step counts. With
// --workers N the training stages run on N worker threads (as `npm run experiment -- --workers N`), and the
// distillation step is also timed on one thread, as the baseline for its speed-up.
// Last line on stdout: one JSON object.
import { parseArgs } from "node:util";
import {
  copyWeightsByLayerName,
  createClassifierHead,
  createEncoder,
  createProjectionHead,
  createStudent,
  distil,
  encoderClassifier,
  encoderFeatureDim,
  fineTune,
  modelClassifier,
  pretrainContrastive,
  selectBackend,
  tensorImageSource,
} from "@fewlabel/ml";
import { budgetConfig, type BudgetName } from "../src/budgets";
import { testAccuracy } from "../src/evaluate";
import { fashionMnistData } from "../src/fashionMnist";

const { values } = parseArgs({ options: { budget: { type: "string", default: "full" }, steps: { type: "string", default: "3" }, workers: { type: "string", default: "1" } } });
const config = budgetConfig(values.budget as BudgetName);
const n = Number(values.steps);
const workers = Number(values.workers);
const backend = await selectBackend({ log: true });
const data = fashionMnistData({ trainImages: 4096, testImages: 2000 });
const train = tensorImageSource(data.train.images);
const test = tensorImageSource(data.test.images);
const labels = { indices: Int32Array.from({ length: 4096 }, (_, i) => i), labels: data.train.labels };
const enc = { inputSize: 28, channels: 1 as const, ...config.encoder, seed: 1 };
const dim = encoderFeatureDim(enc);

/** Seconds per step: time 1 warm-up step, then `n` steps. */
async function perStep(run: (steps: number) => Promise<unknown>): Promise<number> {
  await run(1);
  const t0 = performance.now();
  await run(n);
  return (performance.now() - t0) / 1000 / n;
}

const encoder = createEncoder(enc);
const head = createProjectionHead({ inputDim: dim, hiddenDim: dim, outputDim: config.projectionDim, seed: 2 });
const p = config.pretrain;
const pretrainStep = await perStep((steps) =>
  pretrainContrastive({ encoder, projectionHead: head, images: train, steps, batchSize: p.batchSize, optimizer: p.optimizer, learningRate: p.learningRate, workers }),
);
const cls = createClassifierHead({ inputDim: dim, hiddenDim: dim, numClasses: 10, seed: 3 });
copyWeightsByLayerName(head, cls);
const teacher = encoderClassifier(encoder, cls);
const supervisedStep = await perStep((steps) => fineTune({ classifier: teacher, images: train, labelled: labels, steps, batchSize: config.supervised.batchSize, workers }));
const fineTuneStep = await perStep((steps) => fineTune({ classifier: teacher, images: train, labelled: labels, steps, batchSize: config.fineTune.batchSize, workers }));
const student = createStudent({ inputSize: 28, channels: 1, numClasses: 10, widths: config.student.widths, seed: 4 });
const distilOn = (w: number) => perStep((steps) => distil({ teacher, student: modelClassifier(student), images: train, steps, batchSize: config.distil.batchSize, workers: w }));
const distilStep = await distilOn(workers);
const distilOneThread = workers > 1 ? await distilOn(1) : distilStep;
let t0 = performance.now();
await testAccuracy(teacher, test, data.test.labels, config.evalBatchSize);
const teacherScorePerImage = (performance.now() - t0) / 1000 / test.count;
t0 = performance.now();
await testAccuracy(modelClassifier(student), test, data.test.labels, config.evalBatchSize);
const studentScorePerImage = (performance.now() - t0) / 1000 / test.count;

const f = config.labelFractions.length;
const parts = {
  pretrain: p.steps * pretrainStep,
  supervised: (1 + f) * config.supervised.steps * supervisedStep,
  fineTune: f * config.fineTune.steps * fineTuneStep,
  distil: f * config.distil.steps * distilStep,
  // Linear eval: one pass of features (about an encoder forward per image) plus a cheap probe.
  linearEval: config.linearEval.featureImages * teacherScorePerImage,
  scoring: config.testImages * ((2 + 2 * f) * teacherScorePerImage + f * studentScorePerImage),
};
const total = Object.values(parts).reduce((a, b) => a + b, 0);
const hours = (s: number) => `${(s / 3600).toFixed(2)} h`;
for (const [k, v] of Object.entries(parts)) process.stderr.write(`${k.padEnd(11)} ${hours(v)}\n`);
process.stderr.write(`total       ${hours(total)} on ${backend.name} (${backend.detail}), ${workers} worker thread(s)\n`);
process.stderr.write(
  `per step: pretrain ${pretrainStep.toFixed(2)} s (${((2 * p.batchSize) / pretrainStep).toFixed(0)} img/s), supervised ${supervisedStep.toFixed(2)} s, fine-tune ${fineTuneStep.toFixed(2)} s, distil ${distilStep.toFixed(2)} s (${(config.distil.batchSize / distilStep).toFixed(0)} img/s; one thread ${distilOneThread.toFixed(2)} s, ${(config.distil.batchSize / distilOneThread).toFixed(0)} img/s)\n`,
);
console.log(
  JSON.stringify({
    budget: config.budget,
    backend: backend.name,
    workers,
    seconds: Math.round(total),
    parts: Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, Math.round(v)])),
    secondsPerStep: { pretrain: pretrainStep, supervised: supervisedStep, fineTune: fineTuneStep, distil: distilStep, distilOneThread },
  }),
);
