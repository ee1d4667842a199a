// The trainer's work on one project: read the state, let the reconciler pick the next action, run it with the stages
// of @fewlabel/ml, and publish what it produced (model versions with metrics, pseudo-labels). Checkpoints live on the
// server (slots "pretrain", "finetune", "distil"), so a restarted trainer, here or on another machine, resumes.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  copyWeightsByLayerName,
  createClassifierHead,
  createEncoder,
  createOptimizer,
  createProjectionHead,
  createStudent,
  checkMirrorInvariance,
  registerFastBatchNorm,
  defaultAugmentConfig,
  fineTuneAugmentConfig,
  distil,
  type SelfTrainingOptions,
  type Classifier,
  type EncoderConfig,
  encoderClassifier,
  encoderFeatureDim,
  fineTune,
  modelClassifier,
  preprocessingOf,
  pretrainContrastive,
  pseudoLabel,
  tf,
  tfl,
} from "@fewlabel/ml";
import { assembleTeacher, exportModel, makeMetadata, type ModelMetadata, PREPROCESS_MODULE_FILE, preprocessModuleSource } from "@fewlabel/ml/node";
import type { TrainerActivity } from "@fewlabel/realtime";
import { selfTrainingActivity } from "./activity";
import type { TrainerApi } from "./api-client";
import { peekCheckpoint, restoreCheckpoint, resumeStage, uploadCheckpoint } from "./checkpoints";
import type { TrainerConfig } from "./config";
import { splitLabels } from "./holdout";
import { DiskImageCache } from "./disk-cache";
import { MemoryBudget, WorkingCopies } from "./working-copies";
import { ImageCache, type SkippedImage } from "./images";
import { chooseInputSize, CPU_INPUT_SIZE } from "./input-size";
import { preferLinearHead, trainLinearHead } from "./linear-head";
import type { LeaseKeeper } from "./lease";
import { addTeacherPixels, expertsLogits, keepPixelExpert, PIXEL_EXPERT_WEIGHT, type PixelExpertWeights, trainPixelExpert, zeroPixelExpert } from "./pixel-expert";
import { type LabelledIds, type ScoringSets, VersionScorer } from "./evaluation";
import { type Metrics, predict } from "./metrics";
import { maxPretrainRuns, stageSteps } from "./budget";
import { type Action, decideNext, type ReconcileConfig } from "./reconcile";
import { QuickSuggestions } from "./quick-suggestions";
import { runStage, type StageRunContext } from "./stage-run";
import { selfTrainingApplies } from "./self-training-rule";

/** The head name of a fine-tuned teacher with the pixel expert beside it (pixel-expert.ts). */
const FINE_TUNED_WITH_PIXELS = "fine-tuned + pixel logistic regression";
/** The same for a self-trained student with the teacher's pixel expert added (addTeacherPixels). */
const STUDENT_WITH_PIXELS = "self-trained + pixel logistic regression";

type ProjectState = Awaited<ReturnType<TrainerApi["trpc"]["state"]["query"]>>;

/** What a checkpoint's `extra` records about the model it holds, so a changed configuration starts afresh. */
interface ModelSpec {
  inputSize: number;
  channels: 1 | 3;
  widths: number[];
  blocks: number[];
  projectionDim: number;
  /** Whether horizontal flips keep the images' meaning (asked of the images at the first pretraining). */
  mirrorSafe?: boolean;
}
const sameSpec = (a: unknown, b: ModelSpec) => JSON.stringify(a) === JSON.stringify(b);

const PSEUDO_LABEL_BATCH = 250;

export class ProjectTrainer {
  private readonly cache: ImageCache;
  private readonly scorer: VersionScorer;
  /** Suggestions from the encoder's embeddings within seconds of new labels (quick-suggestions.ts). */
  private readonly quick: QuickSuggestions;
  /** Where the backend computes (main.ts says): decides the input size of a new encoder when none is set. */
  accelerator: "gpu" | "cpu" = "cpu";
  /** The work running now (null between actions): main.ts gives other projects a turn during a long pretraining. */
  running: Action | null = null;
  /** Hears each decision to work before the work starts (main.ts tells people what the trainer does and why). */
  onDecision?: (action: Action, lease: LeaseKeeper) => Promise<unknown>;
  /** Hears what a running stage has to say about its progress beyond steps (stage 3's self-training rounds). */
  onActivity?: (activity: TrainerActivity, lease: LeaseKeeper) => Promise<unknown>;

  constructor(
    private readonly api: TrainerApi,
    private readonly cfg: TrainerConfig,
    private readonly projectId: string,
    private readonly backend: string,
    private readonly log: (m: string) => void,
    /** The memory for working copies this project shares with the trainer's others (default: its own, of the configured size). */
    budget = new MemoryBudget(cfg.workingCopies.memoryBytes),
  ) {
    const disk = cfg.imageCache ? new DiskImageCache(cfg.imageCache.dir, cfg.imageCache.maxBytes) : null;
    this.cache = new ImageCache(api, {
      inputSize: cfg.inputSize ?? CPU_INPUT_SIZE,
      concurrency: cfg.downloadConcurrency,
      disk,
      origin: cfg.url,
      decoded: new WorkingCopies(budget, cfg.workingCopies.dir),
      projectId,
    });
    this.scorer = new VersionScorer((ids, channels) => this.cache.tensor(ids, channels), cfg.minHeldOut);
    this.quick = new QuickSuggestions(api, cfg, projectId, this.cache, log);
  }

  /**
   * Frees what the trainer keeps of the project in memory (decoded images, embeddings) when it no longer works on it;
   * checkpoints and versions live on the server, so a later trainer for the project starts from them.
   */
  dispose(): void {
    this.quick.dispose();
    this.cache.clear();
  }

  /** What the reconciler would do next, from the project's summary now (no image list: cheap to poll). */
  async plan(): Promise<{ paused: boolean; action: Action }> {
    const summary = await this.api.trpc.summary.query({ projectId: this.projectId });
    return { paused: summary.control.paused, action: decideNext(summary, this.reconcileConfig, Date.now(), this.quick.memory) };
  }

  /** Decides and runs the next action; returns it ("wait" when there was nothing to do). */
  async runNext(lease: LeaseKeeper, shutdown: AbortSignal, turn?: AbortSignal): Promise<Action> {
    const { paused, action } = await this.plan();
    lease.paused = paused;
    if (action.kind === "wait") return action;
    // The full state (every image and its label) for the stage; the decision is taken again on it, so the stage
    // works on exactly what it was decided on.
    const state = await this.api.trpc.state.query({ projectId: this.projectId });
    this.cache.describe(state.trainingCopy, state.images);
    const decided = decideNext(state, this.reconcileConfig, Date.now(), this.quick.memory);
    if (decided.kind === "wait") return decided;
    this.log(`next: ${decided.kind}${"reason" in decided ? ` (${decided.reason})` : ""}`);
    await this.onDecision?.(decided, lease);
    if (decided.kind === "quickSuggestions") {
      await this.quick.refresh(lease, state, decided);
      return decided;
    }
    const ctx: StageRunContext = {
      api: this.api,
      lease,
      projectId: this.projectId,
      backend: this.backend,
      shutdown,
      // Only pretraining, the long stage, gives way to other projects; a fine-tune or stage 3 takes minutes.
      turn: decided.kind === "pretrain" ? turn : undefined,
      progressIntervalMs: this.cfg.progressIntervalMs,
      checkpointEvery: this.cfg.checkpointEvery,
      log: this.log,
      betweenSteps: () => this.quick.betweenSteps(lease),
    };
    this.running = decided;
    try {
      if (decided.kind === "pretrain") await this.pretrain(ctx, state, decided);
      else if (decided.kind === "finetune") await this.fineTune(ctx, state, decided);
      else await this.stage3(ctx, state, decided.teacherVersionId);
    } finally {
      this.running = null;
    }
    return decided;
  }

  /**
   * Worker threads for the data-parallel stages: wasm only (other backends run their own threads or the GPU). `backend`
   * is the report's label ("wasm (XNNPACK, SIMD, single thread)"), so the name is its first word: comparing the whole
   * label with "wasm" left every trainer started by main.ts on one thread whatever FEWLABEL_TRAINER_WORKERS said.
   */
  private get workers(): number {
    return this.backend.split(" ")[0] === "wasm" ? this.cfg.workers : 1;
  }

  /**
   * Worker threads that make training batches ahead of the step (packages/ml's BatchPrefetcher). On a GPU the step is
   * fast and a batch (8-bit crops resampled, jitter, blur) costs a core most of a second at 96 px: every core but the
   * one driving the GPU makes them. On the CPU, where the replicas already use every core, one worker from 64 px up
   * (apps/trainer/bench/data-path.ts, 2 cores, 96 px: 87 img/s with batches made between steps, 128 with one worker);
   * none at 32 px, where a batch is a small share of the step and the extra thread only competes with the replicas
   * (the same bench: within its noise either way).
   */
  private batchWorkers(inputSize: number): number {
    if (this.cfg.batchWorkers !== null) return this.cfg.batchWorkers;
    if (this.accelerator === "gpu") return Math.max(1, Math.min(8, os.availableParallelism() - 1));
    return inputSize >= 64 ? 1 : 0;
  }

  private get reconcileConfig(): ReconcileConfig {
    return { ...this.cfg, maxPretrainRuns: maxPretrainRuns(this.cfg) };
  }

  private encoderConfig(spec: ModelSpec): EncoderConfig {
    return { inputSize: spec.inputSize, channels: spec.channels, widths: spec.widths, blocks: spec.blocks, seed: this.cfg.seed };
  }

  private buildPretrainModels(spec: ModelSpec) {
    const encoder = createEncoder(this.encoderConfig(spec));
    const dim = encoderFeatureDim(this.encoderConfig(spec));
    const projectionHead = createProjectionHead({ inputDim: dim, hiddenDim: dim, outputDim: spec.projectionDim, seed: this.cfg.seed + 100 });
    return { encoder, projectionHead, dim };
  }

  /** Loads images, reporting the ones that fail; returns the usable ids. */
  private async load(ids: string[]) {
    const skipped = await this.cache.load(ids);
    const { fromDisk, downloaded, requests } = this.cache.lastLoad;
    if (fromDisk + downloaded > 0) {
      const held = this.cache.bytes;
      const mb = (n: number) => `${(n / (1024 * 1024)).toFixed(1)} MB`;
      this.log(
        `images: ${downloaded} downloaded${downloaded ? ` in ${requests} request${requests === 1 ? "" : "s"}` : ""}, ${fromDisk} from the disk cache${skipped.length ? `, ${skipped.length} skipped` : ""}; decoded, ${mb(held.memory)} in memory${held.disk ? ` and ${mb(held.disk)} read back from disk` : ""}`,
      );
    }
    return { usable: ids.filter((id) => this.cache.has(id)), skipped };
  }

  // ---- stage 1 ----
  private async pretrain(ctx: StageRunContext, state: ProjectState, action: Extract<Action, { kind: "pretrain" }>) {
    const ids = state.images.map((i) => i.id);
    const previous = await peekCheckpoint<{ spec: ModelSpec; run: number; done: boolean }>(this.api, this.projectId, "pretrain");
    // The input size: as set, else the encoder's so far, else chosen from the images and the hardware. Known before
    // the images load, since their working copies are kept for it.
    const chosen = this.cfg.inputSize ?? previous?.info.extra?.spec.inputSize ?? null;
    const choice = chosen === null ? chooseInputSize({ accelerator: this.accelerator, images: state.images }) : null;
    if (choice) this.log(`pretrain: input ${choice.why}`);
    const inputSize = chosen ?? choice!.size;
    this.cache.useInputSize(inputSize);
    const { usable, skipped } = await this.load(ids);
    if (usable.length < 2) throw new Error("fewer than two readable images");
    const channels = previous?.info.extra?.spec.channels ?? this.cache.channelsFor(usable);
    const images = this.cache.source(usable, channels);
    // Flips as augmentation only where mirrored images still look like the data (digits, text and oriented objects
    // do not); decided once per encoder, so every extension and every stage after it augments the same way.
    const mirror = previous?.info.extra?.spec.mirrorSafe === undefined ? await checkMirrorInvariance(images) : null;
    if (mirror) this.log(`pretrain: mirrored images ${mirror.mirrorSafe ? "look like the data: flips on" : "do not look like the data: flips off"} (ratio ${mirror.ratio.toFixed(2)})`);
    const spec: ModelSpec = {
      inputSize,
      channels,
      widths: this.cfg.encoderWidths,
      blocks: this.cfg.encoderBlocks,
      projectionDim: this.cfg.projectionDim,
      mirrorSafe: mirror ? mirror.mirrorSafe : previous!.info.extra!.spec.mirrorSafe!,
    };
    const { encoder, projectionHead } = this.buildPretrainModels(spec);
    const optimizer = createOptimizer("adam", this.cfg.learningRate);
    // Same run interrupted: weights and optimizer, from its step. An earlier run of this encoder: its weights, extended.
    const startStep = await resumeStage(previous, { encoder, projectionHead }, optimizer, {
      sameRun: (p) => p.run === action.run && sameSpec(p.spec, spec),
      warmStart: (p) => sameSpec(p.spec, spec),
    });
    const batchSize = Math.min(this.cfg.batchSize, usable.length);
    const totalSteps = action.extend
      ? stageSteps({ epochs: this.cfg.pretrainExtendEpochs, steps: this.cfg.pretrainExtendSteps }, usable.length, batchSize)
      : stageSteps({ epochs: this.cfg.pretrainEpochs, steps: this.cfg.pretrainSteps }, usable.length, batchSize);
    const extra = { spec, run: action.run };
    try {
      const out = await runStage(ctx, { stage: "pretrain", totalSteps, startStep, skipped, checkpoint: { slot: "pretrain", models: { encoder, projectionHead }, optimizer, extra } }, (hooks) =>
        pretrainContrastive({
          encoder,
          projectionHead,
          images,
          steps: totalSteps,
          batchSize,
          optimizer: "adam",
          learningRate: this.cfg.learningRate,
          optimizerInstance: optimizer,
          augment: defaultAugmentConfig(spec.inputSize, spec.channels, 0.5, { mirrorSafe: spec.mirrorSafe }),
          seed: this.cfg.seed + action.run,
          workers: this.workers,
          prefetch: this.batchWorkers(spec.inputSize),
          ...hooks,
        }),
      );
      await uploadCheckpoint(this.api, this.projectId, ctx.lease.leaseId, "pretrain", { stage: "pretrain", nextStep: totalSteps, extra: { ...extra, done: true } }, { encoder, projectionHead });
      const { metrics, heldOut } = await this.encoderMetrics(state, encoder, spec);
      const losses = out.result.losses;
      const version = await this.api.publishModel(
        this.projectId,
        ctx.lease.leaseId,
        {
          stage: "PRETRAIN",
          classIds: state.classes.map((c) => c.id),
          metrics,
          provenance: {
            backend: this.backend,
            trainer: this.cfg.name,
            steps: totalSteps,
            resumedFrom: startStep,
            finalLoss: losses[losses.length - 1] ?? null,
            images: usable.length,
            ...this.heldOutProvenance(heldOut),
            config: spec,
          },
          imageCount: ids.length,
          labelledCount: state.counts.labelled,
        },
        [],
      );
      await out.finish({ accuracy: metrics?.accuracy ?? null });
      this.log(`pretrain: published version ${version.version}${metrics ? `, kNN accuracy ${(metrics.accuracy * 100).toFixed(1)}% on ${metrics.heldOut} held-out labels` : ""}`);
    } finally {
      encoder.dispose();
      projectionHead.dispose();
      optimizer.dispose();
    }
  }

  /** Labelled images split into training and held-out sets, as class indices in `classIds`' order. */
  private async labelledSets(state: ProjectState, classIds: string[]) {
    const index = new Map(classIds.map((c, i) => [c, i]));
    const { train, heldOut } = splitLabels(
      state.images.filter((i) => i.labelClassId && index.has(i.labelClassId)),
      this.cfg.minLabelsForHoldout,
      this.cfg.minHeldOut,
    );
    await this.cache.load([...train, ...heldOut].map((i) => i.id));
    const pick = (list: typeof train) => {
      const ok = list.filter((i) => this.cache.has(i.id));
      return { ids: ok.map((i) => i.id), labels: ok.map((i) => index.get(i.labelClassId!)!) };
    };
    return { train: pick(train), heldOut: pick(heldOut) };
  }

  private async encoderMetrics(state: ProjectState, encoder: tfl.LayersModel, spec: ModelSpec): Promise<{ metrics: Metrics | null; heldOut: LabelledIds }> {
    const classIds = state.classes.map((c) => c.id);
    const { train, heldOut } = await this.labelledSets(state, classIds);
    return { metrics: await this.scorer.encoder(this.scoringSets(train, heldOut, spec, classIds), encoder), heldOut };
  }

  /** What every version is scored on: the held-out labels, with the baselines trained on the same training labels. */
  private scoringSets(train: LabelledIds, heldOut: LabelledIds, spec: ModelSpec, classIds: string[]): ScoringSets {
    return { train, heldOut, channels: spec.channels, classIds, randomEncoder: () => createEncoder(this.encoderConfig(spec)) };
  }

  /** Provenance that explains a version without metrics (too few held-out labels). */
  private heldOutProvenance(heldOut: LabelledIds) {
    return { heldOutCount: heldOut.ids.length, minHeldOut: this.cfg.minHeldOut };
  }

  // ---- stage 2 ----
  private async fineTune(ctx: StageRunContext, state: ProjectState, action: Extract<Action, { kind: "finetune" }>) {
    const pretrained = await peekCheckpoint<{ spec: ModelSpec; done: boolean }>(this.api, this.projectId, "pretrain");
    if (!pretrained?.info.extra?.done) throw new Error("no finished pretraining checkpoint to fine-tune from");
    const spec = pretrained.info.extra.spec;
    this.cache.useInputSize(spec.inputSize);
    const classIds = state.classes.map((c) => c.id);
    const { train, heldOut } = await this.labelledSets(state, classIds);
    if (train.ids.length === 0) throw new Error("no readable labelled images to fine-tune on");
    const { encoder, projectionHead, dim } = this.buildPretrainModels(spec);
    await restoreCheckpoint(pretrained.blob, { encoder, projectionHead });
    const headConfig = { inputDim: dim, hiddenDim: dim, numClasses: classIds.length, seed: this.cfg.seed + 200 };
    const classifierHead = createClassifierHead(headConfig);
    copyWeightsByLayerName(projectionHead, classifierHead);
    const source = this.cache.source(train.ids, spec.channels);
    const images = source.get(train.ids.map((_, i) => i));
    const sets = this.scoringSets(train, heldOut, spec, classIds);
    // The other few-label head (SimCLR's linear evaluation): a linear classifier on the frozen pretrained features,
    // trained in seconds before fine-tuning (or a resumed fine-tune's checkpoint) changes the encoder; the one that
    // scores better on held-out labels serves.
    const pretrainedWeights = encoder.getWeights().map((w) => w.clone());
    const linearHead = await trainLinearHead({ encoder, images, labels: train.labels, numClasses: classIds.length, seed: this.cfg.seed + 250 });
    const linearMetrics = await this.scorer.classifier(sets, (x) => linearHead.apply(encoder.apply(x, { training: false }) as tf.Tensor, { training: false }) as tf.Tensor2D, "linear");
    const optimizer = createOptimizer("adam", this.cfg.learningRate);
    const extra = { spec, run: action.run, classIds };
    const startStep = await resumeStage(await peekCheckpoint<typeof extra>(this.api, this.projectId, "finetune"), { encoder, classifierHead }, optimizer, {
      sameRun: (p) => p.run === action.run && sameSpec(p.spec, spec) && JSON.stringify(p.classIds) === JSON.stringify(classIds),
    });
    const totalSteps = stageSteps({ epochs: this.cfg.finetuneEpochs, steps: this.cfg.finetuneSteps }, train.ids.length, this.cfg.batchSize);
    const teacher = encoderClassifier(encoder, classifierHead);
    const exportDir = await mkdtemp(path.join(os.tmpdir(), "fewlabel-teacher-"));
    let pixelExpert: PixelExpertWeights | null = null;
    try {
      const out = await runStage(ctx, { stage: "finetune", totalSteps, startStep, checkpoint: { slot: "finetune", models: { encoder, classifierHead }, optimizer, extra } }, (hooks) =>
        fineTune({
          classifier: teacher,
          images: source,
          labelled: { indices: train.ids.map((_, i) => i), labels: train.labels },
          steps: totalSteps,
          batchSize: Math.min(this.cfg.batchSize, train.ids.length),
          learningRate: this.cfg.learningRate,
          optimizerInstance: optimizer,
          augment: fineTuneAugmentConfig({ mirrorSafe: spec.mirrorSafe ?? false }, spec.inputSize),
          seed: this.cfg.seed + 1000 + action.run,
          workers: this.workers,
          prefetch: this.batchWorkers(spec.inputSize),
          ...hooks,
        }),
      );
      const fineTunedMetrics = await this.scorer.classifier(sets, (x) => teacher.logits(x, false));
      // The fine-tuned network with a pixel expert beside it (pixel-expert.ts): kept unless the network alone scores
      // better on held-out labels by more than their noise (keepPixelExpert), and where there are too few of them to score
      // anything (measured better offline at 30 and at 300 labels, by more than held-out noise would show).
      pixelExpert = await trainPixelExpert(images, train.labels, classIds.length, this.cfg.seed + 260);
      const expert = pixelExpert;
      const expertsMetrics = await this.scorer.classifier(sets, (x) => tf.tidy(() => expertsLogits(teacher.logits(x, false), x, expert)));
      const withPixels = keepPixelExpert(fineTunedMetrics, expertsMetrics);
      const network = withPixels ? expertsMetrics : fineTunedMetrics;
      const linearWins = preferLinearHead(linearMetrics, network);
      const candidates = [
        ...(fineTunedMetrics ? [{ name: "fine-tuned", accuracy: fineTunedMetrics.accuracy }] : []),
        ...(expertsMetrics ? [{ name: FINE_TUNED_WITH_PIXELS, accuracy: expertsMetrics.accuracy }] : []),
        ...(linearMetrics ? [{ name: "linear on frozen features", accuracy: linearMetrics.accuracy }] : []),
      ];
      const headName = linearWins ? "linear on frozen features" : withPixels ? FINE_TUNED_WITH_PIXELS : "fine-tuned";
      const chosen = linearWins ? linearMetrics : network;
      const metrics = chosen && { ...chosen, head: { chosen: headName, candidates } };
      if (linearWins) encoder.setWeights(pretrainedWeights);
      const flat = linearWins
        ? assembleTeacher(this.encoderConfig(spec), { inputDim: dim, hiddenDim: 0, numClasses: classIds.length }, { encoder, classifierHead: linearHead })
        : assembleTeacher(this.encoderConfig(spec), headConfig, { encoder, classifierHead }, {}, withPixels ? { ...expert, weight: PIXEL_EXPERT_WEIGHT } : undefined);
      const losses = out.result.losses;
      const provenance = {
        backend: this.backend,
        trainer: this.cfg.name,
        steps: totalSteps,
        resumedFrom: startStep,
        finalLoss: losses[losses.length - 1] ?? null,
        trainLabels: train.ids.length,
        head: linearWins ? "linear" : withPixels ? "fine-tuned+pixels" : "fine-tuned",
        ...this.heldOutProvenance(heldOut),
        reason: action.reason,
        config: spec,
      };
      await exportModel(path.join(exportDir, "teacher"), flat, this.metadata("teacher", state, classIds, spec, provenance, metrics));
      flat.dispose();
      const version = await this.api.publishModel(
        this.projectId,
        ctx.lease.leaseId,
        {
          stage: "FINETUNE",
          classIds,
          metrics,
          provenance,
          imageCount: state.counts.images,
          labelledCount: state.counts.labelled,
        },
        await readExport(exportDir),
      );
      await uploadCheckpoint(
        this.api,
        this.projectId,
        ctx.lease.leaseId,
        "finetune",
        { stage: "finetune", nextStep: totalSteps, extra: { ...extra, done: true, versionId: version.id } },
        { encoder, classifierHead: linearWins ? linearHead : classifierHead },
      );
      await out.finish({ accuracy: metrics?.accuracy ?? null });
      this.log(`finetune: published version ${version.version} (${headName})${metrics ? `, accuracy ${(metrics.accuracy * 100).toFixed(1)}% on ${metrics.heldOut} held-out labels` : ""}`);
    } finally {
      await rm(exportDir, { recursive: true, force: true });
      if (pixelExpert) tf.dispose([pixelExpert.kernel, pixelExpert.bias]);
      tf.dispose(pretrainedWeights);
      linearHead.dispose();
      images.dispose();
      encoder.dispose();
      projectionHead.dispose();
      classifierHead.dispose();
      optimizer.dispose();
    }
  }

  private metadata(kind: "teacher" | "student", state: ProjectState, classIds: string[], spec: ModelSpec, provenance: Record<string, unknown>, metrics: Metrics | null): ModelMetadata {
    const names = new Map(state.classes.map((c) => [c.id, c.name]));
    return makeMetadata(
      kind,
      classIds.map((id) => names.get(id) ?? id),
      spec.inputSize,
      spec.channels,
      {
        backend: this.backend,
        metrics: metrics ? { accuracy: metrics.accuracy, heldOut: metrics.heldOut } : undefined,
        config: { ...provenance, classIds },
      },
    );
  }

  // ---- stage 3 ----
  private async stage3(ctx: StageRunContext, state: ProjectState, teacherVersionId: string) {
    const version = state.models.find((m) => m.id === teacherVersionId)!;
    const classIds = version.classIds;
    const { model: teacherModel, files: teacherFiles, metadata, copy: teacherCopy } = await this.downloadTeacher(teacherVersionId);
    // The teacher's provenance carries the encoder's spec, and with it whether flips suit the data (no: when unknown).
    const teacherSpec = (metadata.provenance.config as { config?: Partial<ModelSpec> } | undefined)?.config;
    const spec: ModelSpec = {
      inputSize: metadata.inputSize,
      channels: metadata.channels,
      widths: this.cfg.encoderWidths,
      blocks: this.cfg.encoderBlocks,
      projectionDim: this.cfg.projectionDim,
      mirrorSafe: teacherSpec?.mirrorSafe ?? false,
    };
    this.cache.useInputSize(spec.inputSize);
    const teacher = modelClassifier(teacherModel);
    const exportDir = await mkdtemp(path.join(os.tmpdir(), "fewlabel-student-"));
    try {
      // Pseudo-labels for every unlabelled image (the server keeps one per model version and image, skips the rest).
      const unlabelled = state.images.filter((i) => i.labelClassId === null).map((i) => i.id);
      const { usable: toLabel, skipped } = await this.load(unlabelled);
      if (toLabel.length > 0) await this.suggest(ctx, "teacher", teacherVersionId, teacher, toLabel, spec.channels, classIds, skipped);

      // Distillation over all images, the teacher's soft labels plus the training labels as ground truth.
      const { usable: all } = await this.load(state.images.map((i) => i.id));
      const { train, heldOut } = await this.labelledSets(state, classIds);
      const position = new Map(all.map((id, i) => [id, i]));
      // SimCLR v2 distils into a student as large as the teacher or larger; a small CNN learning from scratch lost 2-8
      // points to its teacher here (Fashion-MNIST, 300 labels). By default the student is the teacher's own network,
      // starting from its weights, trained on its soft labels over every image (self-distillation): measured +1.9
      // points over the teacher. It is ~1.2 MB and runs in the browser like the small one. FEWLABEL_STUDENT_WIDTHS
      // asks for the small CNN instead.
      let student: tfl.LayersModel;
      if (this.cfg.studentWidths) {
        student = createStudent({ inputSize: spec.inputSize, channels: spec.channels, numClasses: classIds.length, widths: this.cfg.studentWidths, seed: this.cfg.seed + 300 });
      } else {
        registerFastBatchNorm(); // the loaded copy trains: give its batch norm the fast training path
        student = await teacherCopy();
        zeroPixelExpert(student);
      }
      const optimizer = createOptimizer("adam", this.cfg.learningRate);
      const extra = { teacherVersionId, spec };
      const startStep = await resumeStage(await peekCheckpoint<typeof extra>(this.api, this.projectId, "distil"), { student }, optimizer, {
        sameRun: (p) => p.teacherVersionId === teacherVersionId,
      });
      const totalSteps = stageSteps({ epochs: this.cfg.distilEpochs, steps: this.cfg.distilSteps }, all.length, this.cfg.batchSize);
      const images = this.cache.source(all, spec.channels);
      try {
        const gt = train.ids.map((id, i) => [position.get(id), train.labels[i]!] as const).filter((p): p is readonly [number, number] => p[0] !== undefined);
        const batchSize = Math.min(this.cfg.batchSize, all.length);
        // Set by the stage's callback (an object, so that the narrowing of a `let` to null does not hide it).
        const lastRound: { round?: number; confident?: number; unlabelled?: number } = {};
        // Pseudo-labels are renewed once per epoch of every image; the stage's rounds follow from its steps.
        const refreshEvery = Math.ceil(all.length / batchSize);
        const rounds = Math.ceil(totalSteps / refreshEvery);
        const selfTraining: SelfTrainingOptions | undefined = selfTrainingApplies({
          threshold: this.cfg.selfTrainingThreshold,
          trainLabels: train.ids.length,
          classes: classIds.length,
          minLabelsPerClass: this.cfg.selfTrainingMinLabelsPerClass,
        })
          ? {
              threshold: this.cfg.selfTrainingThreshold,
              refreshEvery,
              labelledPerStep: Math.max(1, Math.floor(batchSize / 2)),
              onRound: (round, confident, unlabelledCount) => {
                Object.assign(lastRound, { round: round + 1, confident, unlabelled: unlabelledCount });
                void this.onActivity?.(selfTrainingActivity({ round: round + 1, rounds, confident, unlabelled: unlabelledCount, threshold: this.cfg.selfTrainingThreshold }), ctx.lease);
                this.log(`distil: round ${round + 1}, ${confident} of ${unlabelledCount} unlabelled images pseudo-labelled by the ${round ? "student" : "teacher"}`);
              },
            }
          : undefined;
        const out = await runStage(ctx, { stage: "distil", totalSteps, startStep, checkpoint: { slot: "distil", models: { student }, optimizer, extra } }, (hooks) =>
          distil({
            teacher,
            student: modelClassifier(student),
            images,
            steps: totalSteps,
            batchSize,
            learningRate: this.cfg.learningRate,
            optimizerInstance: optimizer,
            groundTruth: gt.length ? { indices: gt.map((p) => p[0]), labels: gt.map((p) => p[1]), weight: 0.5 } : undefined,
            // Self-training's pseudo-labelled images need FixMatch's strong views (here pretraining's policy) to teach
            // anything beyond what the labeller already says of the clean image. (Pretraining's jitter on fine-tuning's
            // 80% crops won offline by 1.1-1.5 points, but its students in bench:loop run 12 fell to or below their
            // teachers, where these rose above theirs in runs 10 and 11: not taken until measured again.)
            augment: selfTraining ? defaultAugmentConfig(spec.inputSize, spec.channels, 0.5, { mirrorSafe: spec.mirrorSafe }) : fineTuneAugmentConfig({ mirrorSafe: spec.mirrorSafe }, spec.inputSize),
            selfTraining,
            seed: this.cfg.seed + 2000,
            workers: this.workers,
            ...hooks,
          }),
        );
        const sets = this.scoringSets(train, heldOut, spec, classIds);
        const studentLogits = (x: tf.Tensor4D) => student.apply(x, { training: false }) as tf.Tensor2D;
        const aloneMetrics = await this.scorer.classifier(sets, studentLogits);
        // A self-trained student votes with the teacher's pixel expert again (addTeacherPixels), unless it alone scores
        // clearly better on held-out labels; a soft-label student has learnt the pair's pixel share already.
        let metrics = aloneMetrics;
        let withPixels = false;
        const before = selfTraining ? addTeacherPixels(student, teacherModel) : null;
        if (before) {
          const pairMetrics = await this.scorer.classifier(sets, studentLogits);
          withPixels = keepPixelExpert(aloneMetrics, pairMetrics);
          if (!withPixels) student.getLayer("pixel_logits").setWeights(before);
          else metrics = pairMetrics;
          const candidates = [
            ...(aloneMetrics ? [{ name: "self-trained", accuracy: aloneMetrics.accuracy }] : []),
            ...(pairMetrics ? [{ name: STUDENT_WITH_PIXELS, accuracy: pairMetrics.accuracy }] : []),
          ];
          if (metrics && candidates.length) metrics = { ...metrics, head: { chosen: withPixels ? STUDENT_WITH_PIXELS : "self-trained", candidates } };
          tf.dispose(before);
        }
        if (metrics && heldOut.ids.length) {
          const x = this.cache.tensor(heldOut.ids, spec.channels);
          const [s, t] = await Promise.all([predict(studentLogits, x), predict((v) => teacher.logits(v, false), x)]);
          x.dispose();
          metrics.teacherAgreement = s.filter((v, i) => v === t[i]).length / s.length;
        }
        const losses = out.result.losses;
        const provenance = {
          backend: this.backend,
          trainer: this.cfg.name,
          steps: totalSteps,
          resumedFrom: startStep,
          finalLoss: losses[losses.length - 1] ?? null,
          teacherVersionId,
          images: all.length,
          student: this.cfg.studentWidths ? { widths: this.cfg.studentWidths } : "the teacher's network, from its weights",
          method: selfTraining ? `self-training on pseudo-labels at least ${Math.round(selfTraining.threshold * 100)}% sure, relabelled by the student every epoch` : "the teacher's soft labels",
          pixels: withPixels ? "the teacher's pixel expert added" : "its own",
          ...(lastRound.round ? { pseudoLabelled: `${lastRound.confident} of ${lastRound.unlabelled} unlabelled images in round ${lastRound.round}` } : {}),
          ...this.heldOutProvenance(heldOut),
        };
        await exportModel(path.join(exportDir, "student"), student, this.metadata("student", state, classIds, spec, provenance, metrics));
        const files = [...(await readExport(exportDir)), ...teacherFiles];
        const published = await this.api.publishModel(
          this.projectId,
          ctx.lease.leaseId,
          {
            stage: "DISTIL",
            classIds,
            metrics,
            provenance,
            imageCount: state.counts.images,
            labelledCount: state.counts.labelled,
            parentId: teacherVersionId,
          },
          files,
        );
        await uploadCheckpoint(this.api, this.projectId, ctx.lease.leaseId, "distil", { stage: "distil", nextStep: totalSteps, extra: { ...extra, done: true } }, { student });
        await out.finish({ accuracy: metrics?.accuracy ?? null });
        // The suggestions come from the best model: a student that serves and scores at least as well as its teacher
        // on the held-out labels labels the unlabelled images in its teacher's place (the server lets the newest model
        // speak for an image). Unmeasured, the teacher keeps them.
        const serving = (await this.api.trpc.summary.query({ projectId: this.projectId })).serving;
        const teacherAccuracy = version.accuracy ?? null;
        const speaks = serving?.studentId === published.id && metrics !== null && teacherAccuracy !== null && metrics.accuracy >= teacherAccuracy;
        if (speaks && toLabel.length > 0) await this.suggest(ctx, "student", published.id, modelClassifier(student), toLabel, spec.channels, classIds, []);
        this.log(
          `distil: published version ${published.version}${withPixels ? " (with the teacher's pixel expert)" : ""}${metrics ? `, student accuracy ${(metrics.accuracy * 100).toFixed(1)}%` : ""}`,
        );
      } finally {
        student.dispose();
        optimizer.dispose();
      }
    } finally {
      teacherModel.dispose();
      await rm(exportDir, { recursive: true, force: true });
    }
  }

  /** Labels `ids` with `classifier` and posts the suggestions under `versionId` (the server keeps one per version and image). */
  private async suggest(ctx: StageRunContext, who: "teacher" | "student", versionId: string, classifier: Classifier, ids: string[], channels: 1 | 3, classIds: string[], skipped: SkippedImage[]) {
    const images = this.cache.source(ids, channels);
    const batches = Math.ceil(ids.length / 256);
    const out = await runStage(ctx, { stage: "pseudolabel", totalSteps: batches, startStep: 0, skipped }, (hooks) => pseudoLabel({ classifier, images, batchSize: 256, onProgress: hooks.onProgress }));
    const k = out.result.numClasses;
    let stored = 0;
    for (let start = 0; start < ids.length; start += PSEUDO_LABEL_BATCH) {
      const items = ids.slice(start, start + PSEUDO_LABEL_BATCH).map((imageId, j) => {
        const i = start + j;
        return {
          imageId,
          classId: classIds[out.result.labels[i]!]!,
          confidence: clamp01(out.result.confidence[i]!),
          probabilities: Array.from(out.result.probabilities.subarray(i * k, (i + 1) * k), (p) => Math.round(clamp01(p) * 1e4) / 1e4),
        };
      });
      stored += (await this.api.trpc.postPseudoLabels.mutate({ projectId: this.projectId, leaseId: ctx.lease.leaseId, modelVersionId: versionId, items })).stored;
    }
    await out.finish();
    this.log(`pseudolabel: ${stored} new suggestion(s) for ${ids.length} unlabelled image(s) from the ${who}`);
  }

  /** The published teacher, loaded with stock tf.loadLayersModel from its files on the server. */
  private async downloadTeacher(versionId: string) {
    const get = (name: string) => this.api.modelFile(versionId, "teacher", name);
    const modelJson = JSON.parse((await get("model.json")).toString("utf8")) as tf.io.ModelJSON;
    const shardNames = modelJson.weightsManifest.flatMap((g) => g.paths);
    const shards = await Promise.all(shardNames.map(get));
    const metadataBytes = await get("metadata.json");
    const weights = Buffer.concat(shards);
    const load = () =>
      tfl.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: modelJson.modelTopology,
          weightSpecs: modelJson.weightsManifest.flatMap((g) => g.weights),
          weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
        }),
      );
    const model = await load();
    const files = [
      { path: "teacher/model.json", bytes: Buffer.from(JSON.stringify(modelJson)) },
      ...shardNames.map((n, i) => ({ path: `teacher/${n}`, bytes: shards[i]! })),
      { path: "teacher/metadata.json", bytes: metadataBytes },
    ];
    const metadata = JSON.parse(metadataBytes.toString("utf8")) as ModelMetadata;
    // Made anew rather than downloaded, so that a teacher published before preprocess.js existed gets one too.
    files.push({ path: `teacher/${PREPROCESS_MODULE_FILE}`, bytes: Buffer.from(await preprocessModuleSource(preprocessingOf(metadata))) });
    /** A second, independent copy of the teacher (the self-distilled student starts from it). */
    return { model, files, metadata, copy: load };
  }
}

const clamp01 = (v: number) => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0);

/** Every file of an export directory (<kind>/<file>) for publishing. */
async function readExport(dir: string): Promise<{ path: string; bytes: Buffer }[]> {
  const out: { path: string; bytes: Buffer }[] = [];
  for (const kind of await readdir(dir)) {
    for (const file of await readdir(path.join(dir, kind))) out.push({ path: `${kind}/${file}`, bytes: await readFile(path.join(dir, kind, file)) });
  }
  return out;
}
