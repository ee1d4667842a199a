// The label-efficiency protocol (SimCLR v2, Chen et al. 2020, section 4): with the same encoder architecture,
// compare supervised training on 100% / f% of the labels with the semi-supervised pipeline at f%:
//   1. contrastive pretraining on every training image, labels discarded (once, shared by all SimCLR arms),
//   2. fine-tuning encoder + the projection head's first layer on the f% subset (the teacher),
//   3. distilling a small student on every training image from the teacher's soft labels,
// plus linear evaluation of the frozen pretrained encoder. Every arm is scored on the same held-out test set, beside
// the trivial baselines (pixel kNN and logistic regression, a random encoder's kNN) on its labels (./baselines.ts).
import {
  copyWeightsByLayerName,
  createClassifierHead,
  createEncoder,
  createOptimizer,
  createProjectionHead,
  createStudent,
  distil,
  encoderClassifier,
  encoderFeatureDim,
  fineTune,
  modelClassifier,
  pretrainContrastive,
  encoderFeatures,
  tensorImageSource,
  tf,
  trainLinearProbe,
  type Classifier,
  type ProgressCallback,
  type tfl,
} from "@fewlabel/ml";
import { encoderConfigOf, fractionBaselines, randomEncoderOf } from "./baselines";
import { derivedSeeds, validateConfig, type ExperimentConfig } from "./config";
import { testAccuracy } from "./evaluate";
import { BASELINES_PER_FRACTION, planTasks, taskIds } from "./plan";
import type { ArmKind, ArmResult, ExperimentEvent, ExperimentResults, FractionBaselines } from "./report/types";
import { armLabelSubset } from "./split";

export interface ImageSet {
  /** NHWC float32 in [0, 1]. */
  images: tf.Tensor4D;
  /** Class per image; -1 = unlabelled (training images only). */
  labels: Int32Array;
}

export interface ExperimentData {
  classes: string[];
  train: ImageSet;
  /** Every test image is labelled. */
  test: ImageSet;
}

export interface RunOptions {
  /** The backend name and detail reported with every arm (from selectBackend). */
  backend: { name: string; detail: string };
  onEvent?: (e: ExperimentEvent) => void | Promise<void>;
  signal?: AbortSignal;
  /** Report a progress event every n steps (default: about 100 events a task). */
  progressEvery?: number;
  /** Resuming a stopped run of the same config: the arms and baselines it finished are kept, not computed again. */
  resume?: { arms: ArmResult[]; baselines?: FractionBaselines[] };
  /** Where the shared pretraining saves its progress (every `checkpointEvery` steps and at its end). */
  checkpoints?: PretrainCheckpoints;
  checkpointEvery?: number;
  /** The results so far, after every arm and every fraction's baselines (so a long run that stops leaves what it finished). */
  onPartialResults?: (r: ExperimentResults) => void | Promise<void>;
}

/** Saves and restores the pretrained encoder + projection head, the optimizer, the step and the losses so far. */
export interface PretrainCheckpoints {
  save(state: PretrainState, models: { encoder: tfl.LayersModel; projectionHead: tfl.LayersModel }, optimizer: tf.Optimizer): Promise<void>;
  load(models: { encoder: tfl.LayersModel; projectionHead: tfl.LayersModel }, optimizer: tf.Optimizer): Promise<PretrainState | null>;
  /** Checkpoints of one arm (an hour and more each on the full budget), dropped once the arm is scored (a teacher's once its student is). */
  arm?(task: string): ArmCheckpoints;
}
export interface ArmState {
  nextStep: number;
  /** Wall time the arm took before this process. */
  seconds: number;
}
export interface ArmCheckpoints {
  save(state: ArmState, models: Record<string, tfl.LayersModel>, optimizer: tf.Optimizer): Promise<void>;
  load(models: Record<string, tfl.LayersModel>, optimizer: tf.Optimizer): Promise<ArmState | null>;
  clear(): Promise<void>;
}
export interface PretrainState {
  nextStep: number;
  losses: number[];
  /** Wall time spent on pretraining before this process (resumed runs add it up). */
  seconds: number;
}

const seconds = (t0: number) => (performance.now() - t0) / 1000;
const dispose = (...models: tfl.LayersModel[]) => models.forEach((m) => m.dispose());

export async function runLabelEfficiency(data: ExperimentData, config: ExperimentConfig, options: RunOptions): Promise<ExperimentResults> {
  validateConfig(config);
  const startedAt = new Date();
  const t0 = performance.now();
  const seeds = derivedSeeds(config.seed);
  const numClasses = data.classes.length;
  const [, size, , channels] = data.train.images.shape;
  if (size !== config.inputSize || channels !== config.channels) throw new Error(`images are ${size}x${size}x${channels}, config says ${config.inputSize}x${config.inputSize}x${config.channels}`);
  for (const l of data.test.labels) if (l < 0 || l >= numClasses) throw new Error(`test label ${l} is not one of the ${numClasses} classes`);
  const train = tensorImageSource(data.train.images);
  const test = tensorImageSource(data.test.images);
  const labelled = Int32Array.from(data.train.labels.keys()).filter((i) => data.train.labels[i]! >= 0);
  if (labelled.length === 0) throw new Error("no labelled training images");
  const encoderConfig = encoderConfigOf(config);
  const dim = encoderFeatureDim(encoderConfig);
  const emit = async (e: ExperimentEvent) => options.onEvent?.(e);
  const tasks = planTasks(config);
  await emit({ type: "plan", tasks });
  const progressFor =
    (task: string, totalSteps: number): ProgressCallback =>
    (p) =>
      emit({ type: "progress", task, step: p.step, totalSteps, loss: p.loss, imagesPerSecond: p.imagesPerSecond });
  const every = (steps: number) => options.progressEvery ?? Math.max(1, Math.floor(steps / 100));
  const arms: ArmResult[] = [];
  const baselines: FractionBaselines[] = [];
  const finished = new Map((options.resume?.arms ?? []).map((a) => [a.name, a]));
  const finishedBaselines = new Map((options.resume?.baselines ?? []).map((b) => [b.task, b]));
  let pretrain: ExperimentResults["pretrain"] = null;
  const snapshot = (): ExperimentResults => ({
    budget: config.budget,
    dataset: config.dataset,
    backend: options.backend.name,
    backendDetail: options.backend.detail,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    totalSeconds: seconds(t0),
    trainImages: train.count,
    testImages: test.count,
    classes: data.classes,
    pretrain,
    arms: [...arms],
    baselines: [...baselines],
    complete: false,
  });
  /** An arm an earlier run of this config finished: reported again as it was, not retrained. */
  const reuse = async (task: string) => {
    const arm = finished.get(task);
    if (!arm) return false;
    await emit({ type: "task-start", task });
    arms.push(arm);
    await emit({ type: "arm-result", task, arm });
    await emit({ type: "task-done", task, seconds: arm.seconds });
    return true;
  };

  /** The labelled subset (indices and labels) an arm at fraction f may use. */
  const subset = (f: number) => armLabelSubset(data.train.labels, f, seeds.labelSubset);
  const score = (c: Classifier) => testAccuracy(c, test, data.test.labels, config.evalBatchSize);
  const record = async (task: string, kind: ArmKind, f: number, labelsUsed: number, accuracy: number, started: number, steps: number, epochs: number, secondsBefore = 0) => {
    const arm: ArmResult = { name: task, kind, labelFraction: f, labelsUsed, testAccuracy: accuracy, seconds: secondsBefore + seconds(started), epochs, steps, backend: options.backend.name };
    arms.push(arm);
    await emit({ type: "arm-result", task, arm });
    await emit({ type: "task-done", task, seconds: arm.seconds });
    await options.onPartialResults?.(snapshot());
  };
  const newEncoder = () => createEncoder(encoderConfig);
  const newHead = () => createClassifierHead({ inputDim: dim, hiddenDim: dim, numClasses, seed: seeds.classifierInit });
  /**
   * An arm's own checkpoints (`options.checkpoints.arm`): restores `models` and `optimizer` from the last one, and
   * gives the stage options that save one every few steps. The optimizer is made by the caller, as the stage would
   * make it, so that a checkpoint can restore its slots.
   */
  const armCheckpoints = async (task: string, models: Record<string, tfl.LayersModel>, optimizer: tf.Optimizer & { learningRate: number }, steps: number) => {
    const ck = options.checkpoints?.arm?.(task);
    const restored = (await ck?.load(models, optimizer)) ?? null;
    const started = performance.now();
    const secondsBefore = restored?.seconds ?? 0;
    const state = (nextStep: number): ArmState => ({ nextStep, seconds: secondsBefore + seconds(started) });
    return {
      started,
      secondsBefore,
      /** Whether an earlier run trained this arm to its end (its last checkpoint says so). */
      trained: (restored?.nextStep ?? 0) >= steps,
      stage: {
        optimizerInstance: optimizer,
        startStep: restored?.nextStep ?? 0,
        checkpointEvery: ck ? (options.checkpointEvery ?? Math.max(50, Math.round(steps / 20))) : undefined,
        onCheckpoint: ck && ((next: number, opt: tf.Optimizer) => ck.save(state(next), models, opt)),
      },
      /** Keeps the trained models (a teacher is needed until its student is distilled). */
      saveTrained: async () => ck?.save(state(steps), models, optimizer),
      clear: async () => ck?.clear(),
    };
  };

  // The baselines at every fraction first: seconds to minutes, and every arm is read against them. A resumed run
  // keeps the fractions it finished.
  let randomEncoder: tfl.LayersModel | null = null;
  try {
    for (const f of [1, ...[...config.labelFractions].sort((a, b) => b - a)]) {
      const task = taskIds.baselines(f);
      await emit({ type: "task-start", task });
      let b = finishedBaselines.get(task);
      if (!b) {
        randomEncoder ??= randomEncoderOf(config);
        b = await fractionBaselines({
          task,
          labelFraction: f,
          data,
          subset: subset(f),
          randomEncoder,
          seed: seeds.baselines,
          backend: options.backend.name,
          signal: options.signal,
          onScore: (baseline, step) => emit({ type: "baseline-result", task, baseline, step, totalSteps: BASELINES_PER_FRACTION }),
        });
      }
      baselines.push(b);
      await emit({ type: "baselines-result", task, baselines: b });
      await emit({ type: "task-done", task, seconds: b.seconds });
      if (!finishedBaselines.has(task)) await options.onPartialResults?.(snapshot());
    }
  } finally {
    randomEncoder?.dispose();
  }

  // Supervised arms: encoder + classifier head from random initialisation, labels only.
  for (const f of [1, ...[...config.labelFractions].sort((a, b) => b - a)]) {
    const task = taskIds.supervised(f);
    if (await reuse(task)) continue;
    await emit({ type: "task-start", task });
    const { indices, labels } = subset(f);
    const encoder = newEncoder(),
      head = newHead();
    const classifier = encoderClassifier(encoder, head);
    const s = config.supervised;
    const optimizer = createOptimizer(s.optimizer, s.learningRate, 0);
    const ck = await armCheckpoints(task, { encoder, head }, optimizer, s.steps);
    await fineTune({
      classifier,
      images: train,
      labelled: { indices, labels },
      steps: s.steps,
      batchSize: s.batchSize,
      learningRate: s.learningRate,
      optimizer: s.optimizer,
      ...ck.stage,
      workers: tf.getBackend() === "wasm" ? (s.workers ?? 1) : 1,
      seed: seeds.supervised,
      signal: options.signal,
      onProgress: progressFor(task, s.steps),
      progressEvery: every(s.steps),
    });
    optimizer.dispose();
    await record(task, "supervised", f, indices.length, await score(classifier), ck.started, s.steps, (s.steps * s.batchSize) / indices.length, ck.secondsBefore);
    await ck.clear();
    dispose(encoder, head);
  }

  // Stage 1: contrastive pretraining on every training image (labelled or not, labels unused).
  await emit({ type: "task-start", task: taskIds.pretrain });
  const preStarted = performance.now();
  const encoder = newEncoder();
  const projectionHead = createProjectionHead({ inputDim: dim, hiddenDim: dim, outputDim: config.projectionDim, seed: seeds.headInit });
  const p = config.pretrain;
  // Created here (not by the stage) so that a checkpoint can restore its slots before a resumed run continues.
  const optimizer = createOptimizer(p.optimizer, p.learningRate, 1e-6);
  const models = { encoder, projectionHead };
  const restored = (await options.checkpoints?.load(models, optimizer)) ?? null;
  const losses = restored?.losses ?? [];
  const secondsBefore = restored?.seconds ?? 0;
  const state = (nextStep: number): PretrainState => ({ nextStep, losses: losses.slice(0, nextStep), seconds: secondsBefore + seconds(preStarted) });
  if (!restored || restored.nextStep < p.steps) {
    const report = progressFor(taskIds.pretrain, p.steps);
    await pretrainContrastive({
      encoder,
      projectionHead,
      images: train,
      steps: p.steps,
      batchSize: p.batchSize,
      learningRate: p.learningRate,
      optimizer: p.optimizer,
      optimizerInstance: optimizer,
      startStep: restored?.nextStep ?? 0,
      temperature: p.temperature,
      seed: seeds.pretrain,
      signal: options.signal,
      // Worker threads run the wasm backend: elsewhere (a GPU) pretraining stays on this thread.
      workers: tf.getBackend() === "wasm" ? (p.workers ?? 1) : 1,
      // Every step's loss is kept (for the checkpoint); events go out every few steps.
      onProgress: (pr) => {
        losses[pr.step - 1] = pr.loss;
        if (pr.step % every(p.steps) === 0 || pr.step === p.steps) return report(pr);
      },
      checkpointEvery: options.checkpoints ? (options.checkpointEvery ?? Math.max(50, Math.round(p.steps / 20))) : undefined,
      onCheckpoint: options.checkpoints && ((next, opt) => options.checkpoints!.save(state(next), models, opt)),
    });
    await options.checkpoints?.save(state(p.steps), models, optimizer);
  }
  optimizer.dispose();
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / Math.max(1, a.length);
  const window = Math.max(1, Math.min(10, Math.floor(losses.length / 4)));
  pretrain = {
    seconds: restored && restored.nextStep >= p.steps ? restored.seconds : secondsBefore + seconds(preStarted),
    steps: p.steps,
    epochs: (p.steps * p.batchSize) / train.count,
    firstLoss: mean(losses.slice(0, window)),
    lastLoss: mean(losses.slice(-window)),
  };
  await emit({ type: "task-done", task: taskIds.pretrain, seconds: pretrain.seconds });

  try {
    // Linear evaluation: frozen pretrained features, a linear classifier on (up to featureImages of) all labels.
    linear: {
      const task = taskIds.linearEval;
      if (await reuse(task)) break linear;
      await emit({ type: "task-start", task });
      const started = performance.now();
      const l = config.linearEval;
      const f = Math.min(1, l.featureImages / labelled.length);
      const { indices, labels } = subset(f);
      const features = await encoderFeatures(encoder, train, indices, config.evalBatchSize);
      const probe = await trainLinearProbe({
        features,
        labels,
        numClasses,
        steps: l.steps,
        batchSize: l.batchSize,
        learningRate: l.learningRate,
        seed: seeds.linearEval,
        signal: options.signal,
        onProgress: progressFor(task, l.steps),
      });
      features.dispose();
      const probeClassifier: Classifier = {
        logits: (x) => tf.tidy(() => probe.logits(encoder.apply(x, { training: false }) as tf.Tensor2D)),
        trainableVariables: [],
      };
      await record(task, "linear-eval", f, indices.length, await score(probeClassifier), started, l.steps, (l.steps * l.batchSize) / indices.length);
      probe.dispose();
    }

    // Stages 2 and 3 per label fraction, each from its own copy of the pretrained encoder. Both have checkpoints of
    // their own; the teacher's last one is kept until its student is distilled, so that a run stopped mid-student
    // does not train the teacher again.
    for (const f of [...config.labelFractions].sort((a, b) => b - a)) {
      const teacherTask = taskIds.teacher(f),
        studentTask = taskIds.student(f);
      if (finished.has(teacherTask) && finished.has(studentTask)) {
        await reuse(teacherTask);
        await reuse(studentTask);
        continue;
      }
      const { indices, labels } = subset(f);
      const teacherEncoder = newEncoder();
      copyWeightsByLayerName(encoder, teacherEncoder);
      const head = newHead();
      copyWeightsByLayerName(projectionHead, head); // SimCLR v2: fine-tune from the projection head's first layer
      const teacher = encoderClassifier(teacherEncoder, head);
      const ft = config.fineTune;
      const teacherOptimizer = createOptimizer(ft.optimizer, ft.learningRate, 0);
      const teacherCk = await armCheckpoints(teacherTask, { encoder: teacherEncoder, head }, teacherOptimizer, ft.steps);
      if (!(teacherCk.trained && (await reuse(teacherTask)))) {
        await emit({ type: "task-start", task: teacherTask });
        if (!teacherCk.trained) {
          await fineTune({
            classifier: teacher,
            images: train,
            labelled: { indices, labels },
            steps: ft.steps,
            batchSize: ft.batchSize,
            learningRate: ft.learningRate,
            optimizer: ft.optimizer,
            ...teacherCk.stage,
            seed: seeds.fineTune,
            signal: options.signal,
            onProgress: progressFor(teacherTask, ft.steps),
            progressEvery: every(ft.steps),
            workers: tf.getBackend() === "wasm" ? (ft.workers ?? 1) : 1,
          });
          await teacherCk.saveTrained();
        }
        await record(teacherTask, "simclr-teacher", f, indices.length, await score(teacher), teacherCk.started, ft.steps, (ft.steps * ft.batchSize) / indices.length, teacherCk.secondsBefore);
      }
      teacherOptimizer.dispose();

      await emit({ type: "task-start", task: studentTask });
      const student = createStudent({ inputSize: config.inputSize, channels: config.channels, numClasses, widths: config.student.widths, seed: seeds.studentInit });
      const d = config.distil;
      const studentOptimizer = createOptimizer(d.optimizer, d.learningRate);
      const studentCk = await armCheckpoints(studentTask, { student }, studentOptimizer, d.steps);
      await distil({
        teacher,
        student: modelClassifier(student),
        images: train,
        steps: d.steps,
        batchSize: d.batchSize,
        learningRate: d.learningRate,
        optimizer: d.optimizer,
        ...studentCk.stage,
        temperature: d.temperature,
        seed: seeds.distil,
        signal: options.signal,
        groundTruth: d.groundTruthWeight > 0 ? { indices, labels, weight: d.groundTruthWeight } : undefined,
        workers: tf.getBackend() === "wasm" ? (d.workers ?? 1) : 1,
        onProgress: progressFor(studentTask, d.steps),
        progressEvery: every(d.steps),
      });
      studentOptimizer.dispose();
      await record(studentTask, "simclr-student", f, indices.length, await score(modelClassifier(student)), studentCk.started, d.steps, (d.steps * d.batchSize) / train.count, studentCk.secondsBefore);
      await studentCk.clear();
      await teacherCk.clear();
      dispose(teacherEncoder, head, student);
    }
  } finally {
    dispose(encoder, projectionHead);
  }

  return { ...snapshot(), complete: true };
}

/** Images from a source as one tensor, for callers that hold pixels as bytes: [n, h, w, c] uint8 -> float in [0, 1]. */
export function pixelsToTensor(pixels: Uint8Array, n: number, size: number, channels: number): tf.Tensor4D {
  return tf.tidy(() => tf.div(tf.tensor4d(pixels, [n, size, size, channels], "float32"), 255) as tf.Tensor4D);
}
