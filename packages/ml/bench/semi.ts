// Offline few-label experiments on the product's pipeline pieces (not a product path): Fashion-MNIST, the first
// --train images with --per-class labels a class, scored on the first --test test images.
//   npx tsx packages/ml/bench/semi.ts --phase=pretrain --epochs=15 --cache=/tmp/semi
//   npx tsx packages/ml/bench/semi.ts --phase=variants --variants=teacher,scratch,selftrain --cache=/tmp/semi
import fs from "node:fs";
import { loadFashionMnist } from "@fewlabel/datasets";
import { tf, type tfl } from "../src/tf.js";
import { selectBackend } from "../src/backend/select.js";
import { createEncoder, encoderFeatureDim, type EncoderConfig } from "../src/models/resnet.js";
import { createClassifierHead, createProjectionHead, copyWeightsByLayerName } from "../src/models/heads.js";
import { registerFastBatchNorm } from "../src/models/batchNorm.js";
import { defaultAugmentConfig, fineTuneAugmentConfig, type AugmentConfig } from "../src/augment/augment.js";
import { pretrainContrastive } from "../src/stages/pretrain.js";
import { fineTune } from "../src/stages/fineTune.js";
import { distil } from "../src/stages/distil.js";
import { encoderClassifier, type Classifier } from "../src/stages/classifier.js";
import { tensorImageSource } from "../src/stages/imageSource.js";
import { mulberry32 } from "../src/util/random.js";
import { computeBaselines } from "../src/eval/baselines.js";

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, "").split("=");
    return [k!, v ?? "true"];
  }),
);
const num = (k: string, d: number) => Number(args.get(k) ?? d);
const str = (k: string, d: string) => args.get(k) ?? d;
const cache = str("cache", "/tmp/semi");
const nTrain = num("train", 3000),
  nTest = num("test", 2000),
  perClass = num("per-class", 30);
const workers = num("workers", 2),
  batchSize = num("batch", 64),
  seed = num("seed", 7);
const size = num("size", 32);
fs.mkdirSync(cache, { recursive: true });
const t0 = Date.now();
const log = (s: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(0)}s] ${s}`);

await selectBackend({ order: ["wasm"] });
registerFastBatchNorm();
const toTensor = (pixels: Uint8Array, n: number) =>
  tf.tidy(
    () =>
      tf.image.resizeBilinear(
        tf.tensor4d(
          Float32Array.from(pixels, (v) => v / 255),
          [n, 28, 28, 1],
        ),
        [size, size],
      ) as tf.Tensor4D,
  );
const data = str("data", "fmnist");
const { renderDigits } = await import("@fewlabel/datasets");
const trainSet = data === "digits" ? await renderDigits(nTrain, 11) : loadFashionMnist("train", { limit: nTrain });
const testSet = data === "digits" ? await renderDigits(nTest, 12) : loadFashionMnist("test", { limit: nTest });
const X = toTensor(trainSet.pixels, trainSet.count),
  Xt = toTensor(testSet.pixels, testSet.count);
const Y = Int32Array.from(trainSet.labels),
  Yt = Int32Array.from(testSet.labels);
// stratified labels
const r = mulberry32(seed);
const byClass: number[][] = Array.from({ length: 10 }, () => []);
for (let i = 0; i < nTrain; i++) byClass[Y[i]!]!.push(i);
const labelled: number[] = [];
for (const list of byClass) {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  labelled.push(...list.slice(0, perClass));
}
const labels = labelled.map((i) => Y[i]!);
const encCfg: EncoderConfig = { inputSize: size, channels: 1, widths: str("widths", "16,32,64,128").split(",").map(Number), blocks: str("blocks", "1,1,1,1").split(",").map(Number), seed: 1 };
const dim = encoderFeatureDim(encCfg);
const mirrorSafe = args.has("flip");
const { knnPredict } = await import("../src/eval/knn.js");
const { encoderFeatures, pixelRows } = await import("../src/eval/features.js");

function saveWeights(file: string, model: tfl.LayersModel) {
  const ws = model.getWeights();
  const shapes = ws.map((w) => w.shape);
  const data = ws.map((w) => Buffer.from((w.dataSync() as Float32Array).buffer));
  fs.writeFileSync(`${file}.json`, JSON.stringify(shapes));
  fs.writeFileSync(`${file}.bin`, Buffer.concat(data));
}
function loadWeights(file: string, model: tfl.LayersModel) {
  const shapes = JSON.parse(fs.readFileSync(`${file}.json`, "utf8")) as number[][];
  const buf = fs.readFileSync(`${file}.bin`);
  const f = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  let o = 0;
  model.setWeights(
    shapes.map((s) => {
      const n = s.reduce((a, b) => a * b, 1);
      const t = tf.tensor(f.slice(o, o + n), s);
      o += n;
      return t;
    }),
  );
}
function accuracy(c: Classifier): number {
  let correct = 0;
  for (let s = 0; s < nTest; s += 500) {
    const pred = tf.tidy(() => tf.argMax(c.logits(tf.slice(Xt, [s, 0, 0, 0], [Math.min(500, nTest - s), -1, -1, -1]) as tf.Tensor4D, false), 1).dataSync());
    for (let i = 0; i < pred.length; i++) if (pred[i] === Yt[s + i]) correct++;
  }
  return (100 * correct) / nTest;
}
function predictAll(c: Classifier, x: tf.Tensor4D): tf.Tensor2D {
  const parts: tf.Tensor2D[] = [];
  for (let s = 0; s < x.shape[0]; s += 500)
    parts.push(tf.tidy(() => tf.softmax(c.logits(tf.slice(x, [s, 0, 0, 0], [Math.min(500, x.shape[0] - s), -1, -1, -1]) as tf.Tensor4D, false)) as tf.Tensor2D));
  const out = tf.concat(parts) as tf.Tensor2D;
  parts.forEach((p) => p.dispose());
  return out;
}
const steps = (epochs: number, n: number) => Math.max(1, Math.round((epochs * n) / batchSize));

const phase = str("phase", "variants");
if (phase === "baselines") {
  const b = await computeBaselines({
    train: { images: tf.gather(X, labelled) as tf.Tensor4D, labels: Int32Array.from(labels) },
    test: { images: Xt, labels: Yt },
    numClasses: 10,
    randomEncoder: createEncoder(encCfg),
  });
  log(b.map((x) => `${x.name} ${(x.accuracy * 100).toFixed(1)}`).join(", "));
}
if (phase === "pretrain") {
  const encoder = createEncoder(encCfg);
  const proj = createProjectionHead({ inputDim: dim, hiddenDim: dim, outputDim: 64, seed: 101 });
  const epochs = num("epochs", 15);
  if (args.has("init")) {
    loadWeights(`${cache}/${str("init", "")}`, encoder);
    loadWeights(`${cache}/${str("init", "")}-proj`, proj);
  }
  const aug = defaultAugmentConfig(size, 1, num("strength", 0.5), { mirrorSafe });
  if (args.has("min-crop")) aug.crop!.scale[0] = num("min-crop", 0.5);
  await pretrainContrastive({
    encoder,
    projectionHead: proj,
    images: tensorImageSource(X),
    steps: steps(epochs, nTrain),
    batchSize,
    optimizer: "adam",
    learningRate: num("lr", 1e-3),
    augment: aug,
    seed: 1,
    workers,
    temperature: num("temperature", 0.2),
    onProgress: (p) => {
      if (p.step % 100 === 0) log(`pretrain ${p.step}/${p.totalSteps} loss ${p.loss.toFixed(3)} ${p.imagesPerSecond.toFixed(0)} img/s`);
    },
    progressEvery: 100,
  });
  saveWeights(`${cache}/${str("name", "enc")}`, encoder);
  saveWeights(`${cache}/${str("name", "enc")}-proj`, proj);
  log("saved");
}

function teacherFrom(name: string | null) {
  const encoder = createEncoder(encCfg);
  const proj = createProjectionHead({ inputDim: dim, hiddenDim: dim, outputDim: 64, seed: 101 });
  if (name) {
    loadWeights(`${cache}/${name}`, encoder);
    loadWeights(`${cache}/${name}-proj`, proj);
  }
  const head = createClassifierHead({ inputDim: dim, hiddenDim: dim, numClasses: 10, seed: 201 });
  copyWeightsByLayerName(proj, head);
  return { encoder, head, c: encoderClassifier(encoder, head) };
}
async function train(c: Classifier, idx: number[], lab: number[], epochs: number, aug: AugmentConfig | null, lr = 1e-3) {
  await fineTune({
    classifier: c,
    images: tensorImageSource(X),
    labelled: { indices: idx, labels: lab },
    steps: steps(epochs, idx.length),
    batchSize: Math.min(batchSize, idx.length),
    learningRate: lr,
    augment: aug,
    seed: 3,
  });
}
const ftAug = fineTuneAugmentConfig({ mirrorSafe });
/** Self-training's augmentation by name: strong (pretraining's policy), ft (fine-tuning's), cutout (+ FixMatch's cutout), strong8 (80% crops). */
const stAug = (name: string): AugmentConfig =>
  (
    ({
      strong: strongAug,
      ft: ftAug,
      cutout: { ...strongAug, cutout: { p: 1, size: 0.5 } },
      "cutout-ft": { ...ftAug, cutout: { p: 1, size: 0.5 } },
      strong8: { ...strongAug, crop: { scale: [0.8, 1], ratio: [3 / 4, 4 / 3] } },
      "strong8-cutout": { ...strongAug, crop: { scale: [0.8, 1], ratio: [3 / 4, 4 / 3] }, cutout: { p: 1, size: 0.5 } },
    }) as Record<string, AugmentConfig>
  )[name] ??
  (() => {
    throw new Error(`unknown --st-aug ${name}`);
  })();
const strongAug: AugmentConfig = { ...defaultAugmentConfig(size, 1, 0.5, { mirrorSafe }), crop: { scale: [0.5, 1], ratio: [3 / 4, 4 / 3] } };

/** Self-training with clean-image teacher targets (Noisy Student): soft targets precomputed, student on augmented views. */
async function selfTrain(teacher: Classifier, student: Classifier, epochs: number, aug: AugmentConfig, hard: boolean, threshold = 0) {
  const probs = predictAll(teacher, X);
  const p = probs.arraySync() as number[][];
  probs.dispose();
  const gt = new Map(labelled.map((i, k) => [i, labels[k]!]));
  const idx: number[] = [],
    lab: number[] = [];
  for (let i = 0; i < nTrain; i++) {
    const row = p[i]!;
    const m = Math.max(...row);
    if (gt.has(i)) {
      idx.push(i);
      lab.push(gt.get(i)!);
    } else if (m >= threshold) {
      idx.push(i);
      lab.push(row.indexOf(m));
    }
  }
  if (hard) {
    await train(student, idx, lab, epochs, aug);
    return;
  }
  // soft: distil with teacher = fixed table lookup
  const table = tf.tensor2d(p);
  const lookup: Classifier = {
    logits: () => {
      throw new Error("unused");
    },
    trainableVariables: [],
  };
  void lookup;
  void table;
  await train(student, idx, lab, epochs, aug);
}

if (phase === "variants") {
  for (const v of str("variants", "teacher").split(",")) {
    const t1 = Date.now();
    if (v === "knn") continue;
    if (v === "teacher" || v === "teacher-strong" || v === "teacher100") {
      const t = teacherFrom(str("enc", "enc"));
      await train(t.c, labelled, labels, v === "teacher100" ? 100 : 50, v === "teacher-strong" ? strongAug : ftAug);
      log(`${v}: ${accuracy(t.c).toFixed(1)}% (${((Date.now() - t1) / 1000).toFixed(0)}s)`);
      saveWeights(`${cache}/${v}-enc`, t.encoder);
      saveWeights(`${cache}/${v}-head`, t.head);
    }
    if (v === "scratch") {
      const t = teacherFrom(null);
      await train(t.c, labelled, labels, 50, ftAug);
      log(`${v}: ${accuracy(t.c).toFixed(1)}% (${((Date.now() - t1) / 1000).toFixed(0)}s)`);
    }
    if (v.startsWith("self")) {
      // self-<aug>-<epochs>-<rounds>: teacher = saved fine-tuned teacher; student = copy of it
      const [, augName, ep, rounds, thr] = v.split("-");
      const base = str("teacher", "teacher");
      const t = teacherFrom(null);
      loadWeights(`${cache}/${base}-enc`, t.encoder);
      loadWeights(`${cache}/${base}-head`, t.head);
      log(`${v}: teacher ${accuracy(t.c).toFixed(1)}%`);
      let teacher = t;
      for (let round = 0; round < Number(rounds ?? 1); round++) {
        const s = teacherFrom(null);
        s.encoder.setWeights(teacher.encoder.getWeights());
        s.head.setWeights(teacher.head.getWeights());
        await selfTrain(teacher.c, s.c, Number(ep ?? 15), augName === "strong" ? strongAug : ftAug, true, Number(thr ?? 0));
        log(`${v}: round ${round + 1} student ${accuracy(s.c).toFixed(1)}% (${((Date.now() - t1) / 1000).toFixed(0)}s)`);
        teacher = s;
      }
    }
  }
}

// fix-<epochs>-<threshold>-<aug>: FixMatch with stale targets. Every epoch the current model labels every clean
// image; each step trains on 32 labelled + 64 unlabelled images (strongly augmented), the latter where confident.
if (phase === "variants") {
  const { augmentedBatch } = await import("../src/stages/batches.js");
  const { sampleBatch, stepRandom } = await import("../src/stages/sampling.js");
  const { softmaxCrossEntropy } = await import("../src/losses/softmaxCrossEntropy.js");
  const { warmupCosine, setLearningRate, createOptimizer } = await import("../src/optim/lars.js");
  for (const v of str("variants", "")
    .split(",")
    .filter((s) => s.startsWith("fix"))) {
    const t1 = Date.now();
    const [, ep, thrS, augName, lbS] = v.split("-");
    const epochs = Number(ep),
      thr = Number(thrS),
      lambda = Number(lbS ?? 1);
    const aug = augName === "strong" ? strongAug : ftAug;
    const base = str("teacher", "teacher");
    const s = teacherFrom(null);
    loadWeights(`${cache}/${base}-enc`, s.encoder);
    loadWeights(`${cache}/${base}-head`, s.head);
    log(`${v}: start ${accuracy(s.c).toFixed(1)}%`);
    const gt = new Map(labelled.map((i, k) => [i, labels[k]!]));
    const unl = Array.from({ length: nTrain }, (_, i) => i).filter((i) => !gt.has(i));
    const stepsPerEpoch = Math.ceil(unl.length / 64);
    const total = epochs * stepsPerEpoch;
    const opt = createOptimizer("adam", 1e-3, 0);
    let k = 0;
    for (let e = 0; e < epochs; e++) {
      const probs = predictAll(s.c, X);
      const maxP = (tf.max(probs, 1).dataSync() as Float32Array).slice();
      const arg = (tf.argMax(probs, 1).dataSync() as Int32Array).slice();
      probs.dispose();
      const conf = unl.filter((i) => maxP[i]! >= thr);
      for (let j = 0; j < stepsPerEpoch; j++, k++) {
        const r = stepRandom(11, k);
        setLearningRate(opt, warmupCosine(k, total, 1e-3, 0));
        const bl = sampleBatch(0, 32, r, labelled);
        const bu = conf.length ? sampleBatch(0, 64, r, conf) : new Int32Array(0);
        tf.tidy(() => {
          const all = Int32Array.from([...bl, ...bu]);
          const x = augmentedBatch(tensorImageSource(X), all, aug, r);
          const y = tf.tensor1d(
            Int32Array.from(all, (i) => gt.get(i) ?? arg[i]!),
            "int32",
          );
          opt.minimize(
            () => {
              const logits = s.c.logits(x, true);
              const [ll, lu] = tf.split(logits, [bl.length, bu.length], 0) as [tf.Tensor2D, tf.Tensor2D];
              const [yl, yu] = tf.split(y, [bl.length, bu.length], 0) as [tf.Tensor1D, tf.Tensor1D];
              const lossL = softmaxCrossEntropy(ll, yl);
              return bu.length ? (tf.add(lossL, tf.mul(softmaxCrossEntropy(lu, yu), lambda)) as tf.Scalar) : lossL;
            },
            false,
            s.c.trainableVariables,
          );
        });
      }
      if ((e + 1) % Math.max(1, Math.floor(epochs / 5)) === 0 || e === epochs - 1)
        log(`${v}: epoch ${e + 1} confident ${conf.length}/${unl.length} acc ${accuracy(s.c).toFixed(1)}% (${((Date.now() - t1) / 1000).toFixed(0)}s)`);
    }
  }
}

// distil-<view>-<epochs>: the product's distillation stage, from the saved teacher into a copy of itself.
if (phase === "variants") {
  for (const v of str("variants", "")
    .split(",")
    .filter((s) => s.startsWith("distil"))) {
    const t1 = Date.now();
    const [, view, ep] = v.split("-");
    const base = str("teacher", "teacher");
    const t = teacherFrom(null);
    loadWeights(`${cache}/${base}-enc`, t.encoder);
    loadWeights(`${cache}/${base}-head`, t.head);
    const s = teacherFrom(null);
    loadWeights(`${cache}/${base}-enc`, s.encoder);
    loadWeights(`${cache}/${base}-head`, s.head);
    log(`${v}: teacher ${accuracy(t.c).toFixed(1)}%`);
    await distil({
      teacher: t.c,
      student: s.c,
      images: tensorImageSource(X),
      steps: steps(Number(ep ?? 15), nTrain),
      batchSize,
      learningRate: 1e-3,
      groundTruth: { indices: labelled, labels, weight: 0.5 },
      augment: ftAug,
      seed: 5,
      workers,
      teacherView: view === "aug" ? "augmented" : "clean",
    });
    log(`${v}: student ${accuracy(s.c).toFixed(1)}% (${((Date.now() - t1) / 1000).toFixed(0)}s)`);
  }
}

// knn: kNN accuracy (k=1 and 5, cosine) of encoders' features (--encs=name,name; "random" for a fresh one) next to pixels.
if (phase === "knn") {
  const trainX = tf.gather(X, labelled) as tf.Tensor4D;
  const rows = async (name: string, x: tf.Tensor4D) => {
    if (name === "pixels") return pixelRows(x);
    const e = createEncoder(encCfg);
    const [base, mode] = name.split("@");
    if (base !== "random") loadWeights(`${cache}/${base}`, e);
    if (mode === "train") {
      // Batch statistics instead of the moving averages (a check on the latter).
      const parts: tf.Tensor2D[] = [];
      for (let i = 0; i < x.shape[0]; i += 250) parts.push(tf.tidy(() => e.apply(tf.slice(x, [i, 0, 0, 0], [Math.min(250, x.shape[0] - i), -1, -1, -1]), { training: true }) as tf.Tensor2D));
      return tf.concat(parts) as tf.Tensor2D;
    }
    return encoderFeatures(e, tensorImageSource(x));
  };
  for (const name of ["pixels", "random", ...str("encs", "enc").split(",")]) {
    const [a0, b0] = [await rows(name, trainX), await rows(name, Xt)];
    for (const centred of [false, true]) {
      // Centred: the reference rows' mean subtracted from both sides before cosine similarity.
      const mean = tf.mean(a0, 0);
      const [a, b] = centred ? [tf.sub(a0, mean) as tf.Tensor2D, tf.sub(b0, mean) as tf.Tensor2D] : [a0, b0];
      const accs = [];
      for (const k of [1, 5]) {
        const pred = await knnPredict(a, labels, b, { k, numClasses: 10, metric: name === "pixels" && !centred ? "euclidean" : "cosine" });
        accs.push(((100 * pred.filter((p, i) => p === Yt[i]).length) / nTest).toFixed(1));
      }
      log(`knn ${name}${centred ? " centred" : ""}: 1-NN ${accs[0]}%, 5-NN ${accs[1]}%`);
    }
  }
}

// ens-<w>-<epochs>: an ensemble teacher, w x the saved fine-tuned teacher's probabilities + (1 - w) x logistic
// regression on raw pixels (the baseline, same labels), scored, then distilled (clean targets) into a copy of the
// teacher's network.
if (phase === "variants") {
  const { trainLinearProbe } = await import("../src/eval/linearProbe.js");
  for (const v of str("variants", "")
    .split(",")
    .filter((s) => s.startsWith("ens"))) {
    const t1 = Date.now();
    const [, wS, ep, mode] = v.split("-");
    const w = Number(wS);
    const base = str("teacher", "teacher");
    const t = teacherFrom(null);
    loadWeights(`${cache}/${base}-enc`, t.encoder);
    loadWeights(`${cache}/${base}-head`, t.head);
    const s = teacherFrom(null);
    loadWeights(`${cache}/${base}-enc`, s.encoder);
    loadWeights(`${cache}/${base}-head`, s.head);
    const { pixelExpertRows } = await import("../src/models/edgeEnergies.js");
    const a = pixelExpertRows(tf.gather(X, labelled) as tf.Tensor4D);
    const probe = await trainLinearProbe({ features: a, labels, numClasses: 10, steps: 300, batchSize: a.shape[0], learningRate: 0.01, weightDecay: 1 / a.shape[0], seed: 1 });
    const pixelC: Classifier = { logits: (x) => tf.tidy(() => probe.logits(pixelRows(x))), trainableVariables: [] };
    // "poe": the weighted sum of the two models' logits (a product of experts, expressible as layers) instead.
    const ens: Classifier =
      mode === "poe"
        ? { logits: (x, training) => tf.tidy(() => tf.add(tf.mul(t.c.logits(x, training), w), tf.mul(pixelC.logits(x, false), 1 - w))) as tf.Tensor2D, trainableVariables: [] }
        : {
            logits: (x, training) => tf.tidy(() => tf.log(tf.add(tf.mul(tf.softmax(t.c.logits(x, training)), w), tf.mul(tf.softmax(pixelC.logits(x, false)), 1 - w)))) as tf.Tensor2D,
            trainableVariables: [],
          };
    log(`${v}: teacher ${accuracy(t.c).toFixed(1)}%, pixel LR ${accuracy(pixelC).toFixed(1)}%, ensemble ${accuracy(ens).toFixed(1)}%`);
    if (Number(ep ?? 0) > 0) {
      await distil({
        teacher: ens,
        student: s.c,
        images: tensorImageSource(X),
        steps: steps(Number(ep), nTrain),
        batchSize,
        learningRate: 1e-3,
        groundTruth: { indices: labelled, labels, weight: 0.5 },
        augment: ftAug,
        seed: 5,
        workers,
        teacherView: "clean",
      });
      log(`${v}: student ${accuracy(s.c).toFixed(1)}% (${((Date.now() - t1) / 1000).toFixed(0)}s)`);
    }
  }
}

/**
 * The saved fine-tuned teacher as the product assembles it (`assembleTeacher`), with a pixel expert of weight
 * `weight` on the network (logistic regression on the labelled images' pixels; null: the network alone), and a
 * student that is a copy of it, its pixel layer at zero when `zeroStudentPixels`.
 */
async function savedTeacherPair(weight: number | null, zeroStudentPixels: boolean) {
  const { trainLinearProbe, foldStandardisation } = await import("../src/eval/index.js");
  const { assembleTeacher } = await import("../src/persistence/export.js");
  const { modelClassifier } = await import("../src/stages/classifier.js");
  const base = str("teacher", "teacher");
  const t = teacherFrom(null);
  loadWeights(`${cache}/${base}-enc`, t.encoder);
  loadWeights(`${cache}/${base}-head`, t.head);
  let expert: (ReturnType<typeof foldStandardisation> & { weight: number }) | undefined;
  if (weight !== null) {
    const { pixelExpertRows } = await import("../src/models/edgeEnergies.js");
    const a = pixelExpertRows(tf.gather(X, labelled) as tf.Tensor4D);
    const probe = await trainLinearProbe({ features: a, labels, numClasses: 10, steps: 300, batchSize: a.shape[0], learningRate: 0.01, weightDecay: 1 / a.shape[0], seed: 1 });
    expert = { ...foldStandardisation(probe), weight };
  }
  const build = () => assembleTeacher(encCfg, { inputDim: dim, hiddenDim: dim, numClasses: 10, seed: 201 }, { encoder: t.encoder, classifierHead: t.head }, {}, expert);
  const teacher = modelClassifier(build()),
    student = build();
  if (expert && zeroStudentPixels)
    student.getLayer("pixel_logits").setWeights(
      student
        .getLayer("pixel_logits")
        .getWeights()
        .map((w) => tf.zerosLike(w)),
    );
  return { teacher, student, build };
}

// prod-<epochs>: as the product did it before self-training: the saved fine-tuned teacher assembled into one model
// with a pixel expert (pixel logistic regression's logits added, half and half), then distilled (clean targets,
// worker threads) into a copy of that whole model, pixel layer included.
if (phase === "variants") {
  const { modelClassifier } = await import("../src/stages/classifier.js");
  for (const v of str("variants", "")
    .split(",")
    .filter((s) => s.startsWith("prod"))) {
    const t1 = Date.now();
    const [, epS, studentMode] = v.split("-");
    const ep = Number(epS ?? 15);
    // "zero": the student's pixel layer starts at zero (it learns from every image's soft targets, not the labels').
    const { teacher, student } = await savedTeacherPair(0.5, studentMode === "zero");
    log(`${v}: teacher with pixel expert ${accuracy(teacher).toFixed(1)}%`);
    await distil({
      teacher,
      student: modelClassifier(student),
      images: tensorImageSource(X),
      steps: steps(ep, nTrain),
      batchSize,
      learningRate: 1e-3,
      groundTruth: { indices: labelled, labels, weight: 0.5 },
      augment: ftAug,
      seed: 5,
      workers,
      teacherView: "clean",
    });
    log(`${v}: student ${accuracy(modelClassifier(student)).toFixed(1)}% (${((Date.now() - t1) / 1000).toFixed(0)}s)`);
    if (args.has("save")) saveWeights(`${cache}/${str("save", "")}`, student);
  }
}

// st-<epochs>-<threshold>[-net]: the product's stage 3 with self-training (distil's `selfTraining`): the saved
// fine-tuned teacher paired with a pixel expert as the product assembles it (`-net`: the network alone), distilled
// into a copy of itself (pixel layer from zero) on confident pseudo-labels, refreshed by the student every epoch of
// the unlabelled images, 32 labelled + 64 pseudo-labelled images a step, worker threads.
if (phase === "variants") {
  const { modelClassifier } = await import("../src/stages/classifier.js");
  for (const v of str("variants", "")
    .split(",")
    .filter((s) => s.startsWith("st-"))) {
    const t1 = Date.now();
    const [, epS, thrS, mode] = v.split("-");
    const { teacher: t0, student, build } = await savedTeacherPair(mode === "net" ? null : 0.6, true);
    // --prev=<saved student>: round 0's pseudo-labels from the mean of the teacher's and that student's probabilities.
    let teacher = t0;
    if (args.has("prev")) {
      const prev = build();
      loadWeights(`${cache}/${str("prev", "")}`, prev);
      const p = modelClassifier(prev);
      log(`${v}: previous student ${accuracy(p).toFixed(1)}%`);
      teacher = {
        logits: (x, training) => tf.tidy(() => tf.log(tf.add(tf.mul(tf.softmax(t0.logits(x, training)), 0.5), tf.mul(tf.softmax(p.logits(x, training)), 0.5)))) as tf.Tensor2D,
        trainableVariables: [],
      };
    }
    // --student-init=<saved student>: the student starts from that student's weights instead of the teacher's.
    if (args.has("student-init")) loadWeights(`${cache}/${str("student-init", "")}`, student);
    log(`${v}: teacher ${accuracy(t0).toFixed(1)}%${teacher !== t0 ? `, with the previous student ${accuracy(teacher).toFixed(1)}%` : ""}`);
    const perEpoch = Math.ceil((nTrain - labelled.length) / batchSize);
    const swa = num("swa", 0);
    const snapshots: tf.Tensor[][] = [];
    await distil({
      teacher,
      student: modelClassifier(student),
      images: tensorImageSource(X),
      steps: Number(epS) * perEpoch,
      batchSize,
      learningRate: 1e-3,
      groundTruth: { indices: labelled, labels },
      augment: stAug(str("st-aug", "strong")),
      seed: 5,
      workers,
      selfTraining: {
        threshold: Number(thrS),
        refreshEvery: perEpoch,
        labelledPerStep: batchSize / 2,
        onRound: (round, confident) => {
          if (round % 5 === 0) log(`${v}: round ${round} confident ${confident}, student ${accuracy(modelClassifier(student)).toFixed(1)}%`);
          // --swa=K: keep the student's weights at the start of the last K rounds (synced from the workers by then).
          if (swa && round > Number(epS) - swa) snapshots.push(student.getWeights().map((w) => tf.keep(w.clone())));
        },
      },
    });
    log(`${v}: student ${accuracy(modelClassifier(student)).toFixed(1)}% (${((Date.now() - t1) / 1000).toFixed(0)}s)`);
    if (mode !== "net") {
      // The product's addTeacherPixels: the teacher's pixel expert layer added to the student's own.
      const tm = build();
      const own = student.getLayer("pixel_logits").getWeights();
      const added = tm
        .getLayer("pixel_logits")
        .getWeights()
        .map((w, i) => tf.add(w, own[i]!));
      const withExpert = build();
      withExpert.setWeights(student.getWeights());
      withExpert.getLayer("pixel_logits").setWeights(added);
      log(`${v}: student + the teacher's pixel expert ${accuracy(modelClassifier(withExpert)).toFixed(1)}%`);
    }
    if (swa) {
      const last = student.getWeights();
      const all = [...snapshots, last];
      student.setWeights(last.map((_, j) => tf.tidy(() => tf.div(tf.addN(all.map((ws) => ws[j]!)), all.length))));
      log(`${v}: SWA of the last ${all.length} rounds' weights ${accuracy(modelClassifier(student)).toFixed(1)}%`);
    }
    if (args.has("save")) saveWeights(`${cache}/${str("save", "")}`, student);
  }
}

// tv-<minCrop>-<flip 0|1>-<epochs>-<lr>[-ema<decay>]: the teacher's fine-tune on one thread with a chosen crop scale
// and flips, optionally scoring an exponential moving average of the weights (mean teacher); saved as `tv-…` for
// st-* (--teacher=…).
if (phase === "variants") {
  const { augmentedBatch } = await import("../src/stages/batches.js");
  const { sampleBatch, stepRandom } = await import("../src/stages/sampling.js");
  const { softmaxCrossEntropy } = await import("../src/losses/softmaxCrossEntropy.js");
  const { warmupCosine, setLearningRate, createOptimizer } = await import("../src/optim/lars.js");
  for (const v of str("variants", "")
    .split(",")
    .filter((s) => s.startsWith("tv-"))) {
    const t1 = Date.now();
    const [, minS, flipS, epS, lrS, emaS] = v.split("-");
    const aug: AugmentConfig = { crop: { scale: [Number(minS), 1], ratio: [3 / 4, 4 / 3] }, flip: flipS === "1", colorJitter: null, grayscale: 0, blur: null };
    const t = teacherFrom(str("enc", "enc") === "none" ? null : str("enc", "enc"));
    const total = steps(Number(epS), labelled.length),
      lr0 = Number(lrS ?? 1e-3);
    const opt = createOptimizer("adam", lr0, 0);
    const vars = t.c.trainableVariables;
    const decay = emaS ? Number(emaS.replace("ema", "")) : 0;
    const shadow = decay ? vars.map((w) => tf.variable(w.clone(), false)) : [];
    for (let k = 0; k < total; k++) {
      const r = stepRandom(3, k);
      setLearningRate(opt, warmupCosine(k, total, lr0, 0));
      const b = sampleBatch(0, batchSize, r, labelled);
      const gt = new Map(labelled.map((i, j) => [i, labels[j]!]));
      tf.tidy(() => {
        const x = augmentedBatch(tensorImageSource(X), b, aug, r);
        const y = tf.tensor1d(
          Int32Array.from(b, (i) => gt.get(i)!),
          "int32",
        );
        opt.minimize(() => softmaxCrossEntropy(t.c.logits(x, true), y), false, vars);
        if (decay) shadow.forEach((s, i) => s.assign(tf.add(tf.mul(s, decay), tf.mul(vars[i]!, 1 - decay))));
      });
    }
    const raw = accuracy(t.c);
    let emaAcc = NaN;
    if (decay) {
      const keep = vars.map((w) => tf.keep(w.clone()));
      vars.forEach((w, i) => w.assign(shadow[i]!));
      emaAcc = accuracy(t.c);
      if (!args.has("save-ema")) vars.forEach((w, i) => w.assign(keep[i]!));
    }
    log(`${v}: ${raw.toFixed(1)}%${decay ? `, EMA ${emaAcc.toFixed(1)}%` : ""} (${((Date.now() - t1) / 1000).toFixed(0)}s)`);
    saveWeights(`${cache}/${v}-enc`, t.encoder);
    saveWeights(`${cache}/${v}-head`, t.head);
  }
}

// lp: how well pseudo-labels on the unlabelled training images can be made (transductive accuracy): the saved
// teacher (--teacher=…) alone, with the pixel expert, and label propagation over a kNN graph of its encoder's
// features (Zhou et al. 2004's label spreading), alone and mixed with the teacher's probabilities.
if (phase === "lp") {
  const { trainLinearProbe } = await import("../src/eval/linearProbe.js");
  const base = str("teacher", "teacher");
  const t = teacherFrom(null);
  loadWeights(`${cache}/${base}-enc`, t.encoder);
  loadWeights(`${cache}/${base}-head`, t.head);
  const gt = new Map(labelled.map((i, k) => [i, labels[k]!]));
  const unl = Array.from({ length: nTrain }, (_, i) => i).filter((i) => !gt.has(i));
  const accOn = (p: number[][]) => (100 * unl.filter((i) => p[i]!.indexOf(Math.max(...p[i]!)) === Y[i]).length) / unl.length;
  const pT = predictAll(t.c, X).arraySync() as number[][];
  const a = pixelRows(tf.gather(X, labelled) as tf.Tensor4D);
  const probe = await trainLinearProbe({ features: a, labels, numClasses: 10, steps: 300, batchSize: a.shape[0], learningRate: 0.01, weightDecay: 1 / a.shape[0], seed: 1 });
  const lT = tf.tidy(() => {
    const parts = [];
    for (let s = 0; s < nTrain; s += 500) parts.push(t.c.logits(tf.slice(X, [s, 0, 0, 0], [Math.min(500, nTrain - s), -1, -1, -1]) as tf.Tensor4D, false));
    return tf.concat(parts);
  });
  const lP = tf.tidy(() => probe.logits(pixelRows(X)));
  const pPair = tf.tidy(() => tf.softmax(tf.add(lT, tf.mul(lP, 0.6)))).arraySync() as number[][];
  log(`unlabelled ${unl.length}: teacher ${accOn(pT).toFixed(1)}%, pair ${accOn(pPair).toFixed(1)}%`);
  const feats: Record<string, tf.Tensor2D> = {
    encoder: await encoderFeatures(t.encoder, tensorImageSource(X)),
    pixels: pixelRows(X),
  };
  for (const [name, f0] of Object.entries(feats)) {
    const f = tf.tidy(() => {
      const c = tf.sub(f0, tf.mean(f0, 0));
      return tf.div(c, tf.add(tf.norm(c, 2, 1, true), 1e-8)) as tf.Tensor2D;
    });
    for (const k of [10, 20]) {
      const { values, indices } = tf.tidy(() => tf.topk(tf.matMul(f, f, false, true), k + 1));
      const vals = values.arraySync() as number[][],
        idx = indices.arraySync() as number[][];
      // Symmetric sparse W (neighbours excluding self), weights exp((sim-1)/σ) with σ = 0.1 (cosine); S = D^-1/2 W D^-1/2.
      const W = new Map<number, number>();
      const key = (i: number, j: number) => i * nTrain + j;
      for (let i = 0; i < nTrain; i++)
        for (let m = 1; m <= k; m++) {
          const j = idx[i]![m]!;
          const w = Math.exp((vals[i]![m]! - 1) / 0.1);
          W.set(key(i, j), Math.max(W.get(key(i, j)) ?? 0, w));
          W.set(key(j, i), Math.max(W.get(key(j, i)) ?? 0, w));
        }
      const deg = new Float64Array(nTrain);
      const edges: [number, number, number][] = [];
      for (const [kk, w] of W) {
        const i = Math.floor(kk / nTrain),
          j = kk % nTrain;
        deg[i] = deg[i]! + w;
        edges.push([i, j, w]);
      }
      for (const e of edges) e[2] = e[2] / Math.sqrt(deg[e[0]]! * deg[e[1]]!);
      for (const alpha of [0.9, 0.99]) {
        const Y0 = Array.from({ length: nTrain }, (_, i) => {
          const row = new Float64Array(10);
          if (gt.has(i)) row[gt.get(i)!] = 1;
          return row;
        });
        let F = Y0.map((r) => Float64Array.from(r));
        for (let it = 0; it < 40; it++) {
          const G = Y0.map((r) => Float64Array.from(r, (v) => (1 - alpha) * v));
          for (const [i, j, w] of edges) {
            const fi = G[i]!,
              fj = F[j]!;
            for (let c = 0; c < 10; c++) fi[c] = fi[c]! + alpha * w * fj[c]!;
          }
          F = G;
        }
        // Row-normalised LP scores, and their mean with the pair's probabilities.
        const norm = F.map((r) => {
          const s = r.reduce((x, y) => x + y, 0) || 1;
          return Array.from(r, (v) => v / s);
        });
        const mix = norm.map((r, i) => r.map((v, c) => 0.5 * v + 0.5 * pPair[i]![c]!));
        log(`lp ${name} k=${k} alpha=${alpha}: ${accOn(norm).toFixed(1)}%, mixed with the pair ${accOn(mix).toFixed(1)}%`);
      }
    }
  }
}

// spair: a saved student (--student=…, built like the st-* students from --teacher=…) with pixel logistic regression's
// logits added at weights 0 / 0.2 / 0.4 / 0.6 (the teacher's pixel expert, applied to the student as well).
if (phase === "spair") {
  const { trainLinearProbe } = await import("../src/eval/linearProbe.js");
  const { modelClassifier } = await import("../src/stages/classifier.js");
  const { build } = await savedTeacherPair(0.6, true);
  const s = build();
  loadWeights(`${cache}/${str("student", "")}`, s);
  const sc = modelClassifier(s);
  const a = pixelRows(tf.gather(X, labelled) as tf.Tensor4D);
  const probe = await trainLinearProbe({ features: a, labels, numClasses: 10, steps: 300, batchSize: a.shape[0], learningRate: 0.01, weightDecay: 1 / a.shape[0], seed: 1 });
  for (const c of [0, 0.2, 0.4, 0.6, 1]) {
    const pair: Classifier = { logits: (x, training) => tf.tidy(() => tf.add(sc.logits(x, training), tf.mul(probe.logits(pixelRows(x)), c))) as tf.Tensor2D, trainableVariables: [] };
    log(`spair ${str("student", "")} + ${c} x pixel LR: ${accuracy(pair).toFixed(1)}%`);
  }
}

// ens2: the mean of saved students' probabilities (--students=a,b,…, built like st-* students from --teacher=…), and
// with the teacher pair's.
if (phase === "ens2") {
  const { modelClassifier } = await import("../src/stages/classifier.js");
  const { teacher, build } = await savedTeacherPair(0.6, true);
  const members: Classifier[] = str("students", "")
    .split(",")
    .map((n) => {
      const m = build();
      loadWeights(`${cache}/${n}`, m);
      return modelClassifier(m);
    });
  const mean = (cs: Classifier[]): Classifier => ({
    logits: (x, t) => tf.tidy(() => tf.log(tf.div(tf.addN(cs.map((c) => tf.softmax(c.logits(x, t)))), cs.length))) as tf.Tensor2D,
    trainableVariables: [],
  });
  log(
    `teacher ${accuracy(teacher).toFixed(1)}%, students ${members.map((m) => accuracy(m).toFixed(1)).join(", ")}; mean of students ${accuracy(mean(members)).toFixed(1)}%, with the teacher ${accuracy(mean([...members, teacher])).toFixed(1)}%`,
  );
}

// experts: the saved teacher's logits beside logistic regressions on pixels and on oriented-gradient energies
if (phase === "experts") {
  const { trainLinearProbe } = await import("../src/eval/linearProbe.js");
  const t = teacherFrom(null);
  const base = str("teacher", "teacher");
  loadWeights(`${cache}/${base}-enc`, t.encoder);
  loadWeights(`${cache}/${base}-head`, t.head);
  const orient = (x: tf.Tensor4D, K: number, cell: number) =>
    tf.tidy(() => {
      const sx = [
          [-1, 0, 1],
          [-2, 0, 2],
          [-1, 0, 1],
        ],
        sy = [
          [-1, -2, -1],
          [0, 0, 0],
          [1, 2, 1],
        ];
      const w = new Float32Array(9 * K);
      for (let k = 0; k < K; k++) {
        const th = (Math.PI * k) / K;
        for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) w[(a * 3 + b) * K + k] = (Math.cos(th) * sx[a]![b]! + Math.sin(th) * sy[a]![b]!) / 4;
      }
      const f = tf.abs(tf.conv2d(x, tf.tensor4d(w, [3, 3, 1, K]), 1, "same"));
      return tf.reshape(tf.avgPool(f, cell, cell, "valid"), [x.shape[0], -1]) as tf.Tensor2D;
    });
  const lrLogits = async (F: tf.Tensor2D, Ft: tf.Tensor2D) => {
    const trainRows = tf.gather(F, labelled) as tf.Tensor2D;
    const probe = await trainLinearProbe({ features: trainRows, labels, numClasses: 10, steps: 300, batchSize: 4096, learningRate: 0.01, weightDecay: 1 / labels.length, seed: 1 });
    const out = probe.logits(Ft);
    probe.dispose();
    return out;
  };
  const acc = (l: tf.Tensor) => {
    const p = tf.argMax(l, 1).dataSync();
    return ((100 * Array.from(p).filter((v, i) => v === Yt[i]).length) / nTest).toFixed(1);
  };
  const net = predictLogits(t.c, Xt);
  const px = await lrLogits(pixelRows(X), pixelRows(Xt));
  const { edgeEnergies } = await import("../src/models/edgeEnergies.js");
  const edges = (x: tf.Tensor4D) => (args.has("abs") ? orient(x, num("k", 8), num("cell", 4)) : edgeEnergies(x, num("k", 8), num("cell", 4)));
  const or = await lrLogits(edges(X), edges(Xt));
  const both = await lrLogits(tf.concat([pixelRows(X), edges(X)], 1) as tf.Tensor2D, tf.concat([pixelRows(Xt), edges(Xt)], 1) as tf.Tensor2D);
  const mix = (a: tf.Tensor, b: tf.Tensor, w: number) => tf.add(tf.mul(a, w), tf.mul(b, 1 - w));
  log(`network ${acc(net)}, pixels ${acc(px)}, orient ${acc(or)}, pixels+orient one LR ${acc(both)}, pixels+orient summed ${acc(tf.add(px, or))}`);
  for (const w of [0.5, 0.6, 0.7])
    log(`w=${w}: net+pixels ${acc(mix(net, px, w))}, net+orient ${acc(mix(net, or, w))}, net+(one LR) ${acc(mix(net, both, w))}, net+(px+or)/2 ${acc(mix(net, tf.div(tf.add(px, or), 2), w))}`);
}
function predictLogits(c: Classifier, x: tf.Tensor4D): tf.Tensor2D {
  const parts: tf.Tensor2D[] = [];
  for (let s = 0; s < x.shape[0]; s += 500) parts.push(tf.tidy(() => c.logits(tf.slice(x, [s, 0, 0, 0], [Math.min(500, x.shape[0] - s), -1, -1, -1]) as tf.Tensor4D, false) as tf.Tensor2D));
  return tf.concat(parts) as tf.Tensor2D;
}
