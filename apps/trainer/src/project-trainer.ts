// The trainer's work on one project: read the state, let the reconciler pick the next action, and run it: quick
// suggestions here, the heavy stages in stages/ (pretrain.ts, fine-tune.ts, stage3.ts), each publishing what it
// produced (model versions with metrics, pseudo-labels). Checkpoints live on the server (slots "pretrain", "finetune",
// "distil"), so a restarted trainer, here or on another machine, resumes (checkpoints.ts, resumeStage).
import os from "node:os";
import { createEncoder, createProjectionHead, type EncoderConfig, encoderFeatureDim, type tfl } from "@fewlabel/ml";
import { makeMetadata, type ModelMetadata } from "@fewlabel/ml/node";
import type { TrainerActivity } from "@fewlabel/realtime";
import type { TrainerApi } from "./api-client";
import type { TrainerConfig } from "./config";
import { splitLabels } from "./holdout";
import { DiskImageCache } from "./disk-cache";
import { MemoryBudget, WorkingCopies } from "./working-copies";
import { ImageCache } from "./images";
import { CPU_INPUT_SIZE } from "./input-size";
import type { LeaseKeeper } from "./lease";
import { type LabelledIds, type ScoringSets, VersionScorer } from "./evaluation";
import type { Metrics } from "./metrics";
import { maxPretrainRuns } from "./budget";
import { type Action, decideNext, type ReconcileConfig } from "./reconcile";
import { QuickSuggestions } from "./quick-suggestions";
import type { StageRunContext } from "./stage-run";
import { runFineTune } from "./stages/fine-tune";
import type { ModelSpec } from "./stages/model-spec";
import { runPretrain } from "./stages/pretrain";
import { runStage3 } from "./stages/stage3";

export type ProjectState = Awaited<ReturnType<TrainerApi["trpc"]["state"]["query"]>>;

/**
 * What a stage (stages/*.ts) uses of the project's trainer: its server, settings, images, scorer, and the helpers every
 * stage shares (loading images, the held-out split, the metrics of a version, its metadata).
 */
export type StageHost = Pick<
  ProjectTrainer,
  | "api"
  | "cfg"
  | "projectId"
  | "backend"
  | "log"
  | "cache"
  | "scorer"
  | "accelerator"
  | "onActivity"
  | "workers"
  | "batchWorkers"
  | "encoderConfig"
  | "buildPretrainModels"
  | "load"
  | "labelledSets"
  | "encoderMetrics"
  | "scoringSets"
  | "heldOutProvenance"
  | "runProvenance"
  | "metadata"
>;

export class ProjectTrainer {
  readonly cache: ImageCache;
  readonly scorer: VersionScorer;
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
    readonly api: TrainerApi,
    readonly cfg: TrainerConfig,
    readonly projectId: string,
    readonly backend: string,
    readonly log: (m: string) => void,
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
      if (decided.kind === "pretrain") await runPretrain(this, ctx, state, decided);
      else if (decided.kind === "finetune") await runFineTune(this, ctx, state, decided);
      else await runStage3(this, ctx, state, decided.teacherVersionId);
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
  get workers(): number {
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
  batchWorkers(inputSize: number): number {
    if (this.cfg.batchWorkers !== null) return this.cfg.batchWorkers;
    if (this.accelerator === "gpu") return Math.max(1, Math.min(8, os.availableParallelism() - 1));
    return inputSize >= 64 ? 1 : 0;
  }

  private get reconcileConfig(): ReconcileConfig {
    return { ...this.cfg, maxPretrainRuns: maxPretrainRuns(this.cfg) };
  }

  encoderConfig(spec: ModelSpec): EncoderConfig {
    return { inputSize: spec.inputSize, channels: spec.channels, widths: spec.widths, blocks: spec.blocks, seed: this.cfg.seed };
  }

  buildPretrainModels(spec: ModelSpec) {
    const encoder = createEncoder(this.encoderConfig(spec));
    const dim = encoderFeatureDim(this.encoderConfig(spec));
    const projectionHead = createProjectionHead({ inputDim: dim, hiddenDim: dim, outputDim: spec.projectionDim, seed: this.cfg.seed + 100 });
    return { encoder, projectionHead, dim };
  }

  /** Loads images, reporting the ones that fail; returns the usable ids. */
  async load(ids: string[]) {
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

  /** Labelled images split into training and held-out sets, as class indices in `classIds`' order. */
  async labelledSets(state: ProjectState, classIds: string[]) {
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

  async encoderMetrics(state: ProjectState, encoder: tfl.LayersModel, spec: ModelSpec): Promise<{ metrics: Metrics | null; heldOut: LabelledIds }> {
    const classIds = state.classes.map((c) => c.id);
    const { train, heldOut } = await this.labelledSets(state, classIds);
    return { metrics: await this.scorer.encoder(this.scoringSets(train, heldOut, spec, classIds), encoder), heldOut };
  }

  /** What every version is scored on: the held-out labels, with the baselines trained on the same training labels. */
  scoringSets(train: LabelledIds, heldOut: LabelledIds, spec: ModelSpec, classIds: string[]): ScoringSets {
    return { train, heldOut, channels: spec.channels, classIds, randomEncoder: () => createEncoder(this.encoderConfig(spec)) };
  }

  /** What every published version records of the run that made it. */
  runProvenance(totalSteps: number, startStep: number, losses: number[]) {
    return { backend: this.backend, trainer: this.cfg.name, steps: totalSteps, resumedFrom: startStep, finalLoss: losses[losses.length - 1] ?? null };
  }

  /** Provenance that explains a version without metrics (too few held-out labels). */
  heldOutProvenance(heldOut: LabelledIds) {
    return { heldOutCount: heldOut.ids.length, minHeldOut: this.cfg.minHeldOut };
  }

  metadata(kind: "teacher" | "student", state: ProjectState, classIds: string[], spec: ModelSpec, provenance: Record<string, unknown>, metrics: Metrics | null): ModelMetadata {
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
}
