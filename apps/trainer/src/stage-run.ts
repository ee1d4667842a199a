// One run of one stage as the server sees it: started with startRun, progress reported (throttled), checkpoints
// uploaded every N steps, and a clean stop when owners pause, the process is asked to stop, or the lease is lost.
// On pause or stop the run saves a checkpoint at the last finished step, so nothing is lost; on a kill -9 the work
// since the last periodic checkpoint is lost, and the next run resumes from that checkpoint.
import { type Progress, StageAborted, type tf, type tfl } from "@fewlabel/ml";
import type { TrainerApi } from "./api-client";
import { uploadCheckpoint } from "./checkpoints";
import type { SkippedImage } from "./images";
import type { LeaseKeeper } from "./lease";

export type Stage = "pretrain" | "finetune" | "pseudolabel" | "distil";

/** Thrown when a run stopped on purpose (paused, stopping, lease lost): not a failure. */
export class StageInterrupted extends Error {
  constructor(readonly why: "paused" | "stopping" | "lease lost" | "another project's turn") {
    super(`stage interrupted: ${why}`);
    this.name = "StageInterrupted";
  }
}

export interface StageRunContext {
  api: TrainerApi;
  lease: LeaseKeeper;
  projectId: string;
  backend: string;
  /** Aborted when the process is asked to stop. */
  shutdown: AbortSignal;
  /**
   * Aborted when another project's work is due and this run has had its turn (main.ts): the run stops at its next
   * step with a checkpoint, as for a pause, and goes on from there at the project's next turn.
   */
  turn?: AbortSignal;
  progressIntervalMs: number;
  checkpointEvery: number;
  log(message: string): void;
  /**
   * Light work that must not wait for the stage to end (quick suggestions after new labels): called after every
   * step, it decides itself whether anything is due, and never throws.
   */
  betweenSteps?: () => Promise<void>;
}

export interface CheckpointTarget {
  slot: string;
  models: Record<string, tfl.LayersModel>;
  optimizer?: tf.Optimizer;
  extra: Record<string, unknown>;
}

/** The hooks a stage function from @fewlabel/ml takes. */
export interface StageHooks {
  signal: AbortSignal;
  startStep: number;
  onProgress(p: Progress): Promise<void>;
  progressEvery: number;
  checkpointEvery?: number;
  onCheckpoint?(nextStep: number, optimizer: tf.Optimizer): Promise<void>;
}

export interface StageOutcome<T> {
  result: T;
  runId: string;
  finish(extra?: { accuracy?: number | null }): Promise<void>;
}

export async function runStage<T>(
  ctx: StageRunContext,
  o: { stage: Stage; totalSteps: number; startStep: number; checkpoint?: CheckpointTarget; skipped?: SkippedImage[] },
  body: (hooks: StageHooks) => Promise<T>,
): Promise<StageOutcome<T>> {
  const { api, lease, projectId } = ctx;
  const leaseId = lease.leaseId;
  const { runId } = await api.trpc.startRun.mutate({ projectId, leaseId, stage: o.stage, totalSteps: o.totalSteps, startStep: o.startStep, backend: ctx.backend.slice(0, 500) });
  ctx.log(`${o.stage}: run ${runId} ${o.startStep > 0 ? `resumes at step ${o.startStep}` : "starts"} of ${o.totalSteps}`);
  const stop = new AbortController();
  const stopWith = (why: StageInterrupted["why"]) => !stop.signal.aborted && stop.abort(why);
  const onShutdown = () => stopWith("stopping");
  const onLost = () => stopWith("lease lost");
  const onTurn = () => stopWith("another project's turn");
  ctx.shutdown.addEventListener("abort", onShutdown);
  lease.signal.addEventListener("abort", onLost);
  ctx.turn?.addEventListener("abort", onTurn);
  if (ctx.shutdown.aborted) onShutdown();

  let lastStep = o.startStep;
  let lastSent = 0;
  let pendingSkipped = o.skipped ?? [];
  const report = async (p: {
    step: number;
    loss?: number | null;
    imagesPerSecond?: number | null;
    accuracy?: number | null;
    status?: "RUNNING" | "PAUSED" | "DONE" | "FAILED";
    error?: string | null;
  }) => {
    const skipped = pendingSkipped.slice(0, 1000);
    const r = await api.trpc.reportProgress.mutate({ projectId, leaseId, runId, ...p, ...(skipped.length ? { skipped } : {}) });
    pendingSkipped = pendingSkipped.slice(skipped.length);
    lease.paused = r.paused;
    lastSent = Date.now();
  };
  if (pendingSkipped.length) {
    ctx.log(`${o.stage}: ${pendingSkipped.length} image(s) skipped (could not be read or decoded)`);
    await report({ step: o.startStep });
  }

  const hooks: StageHooks = {
    signal: stop.signal,
    startStep: o.startStep,
    progressEvery: 1,
    onProgress: async (p) => {
      lastStep = p.step;
      if (lease.paused) stopWith("paused");
      if (Date.now() - lastSent >= ctx.progressIntervalMs && p.step < o.totalSteps) {
        await report({ step: p.step, loss: p.stage === "pseudolabel" ? null : p.loss, imagesPerSecond: p.imagesPerSecond }).catch((err) => ctx.log(`progress report failed: ${String(err)}`));
        if (lease.paused) stopWith("paused");
      }
      // Stages without a signal (pseudo-labelling) stop here.
      if (stop.signal.aborted && p.stage === "pseudolabel") throw new StageInterrupted(stop.signal.reason as StageInterrupted["why"]);
      // Not while a teacher posts its own suggestions: the two would replace each other's batch by batch.
      if (ctx.betweenSteps && !stop.signal.aborted && p.stage !== "pseudolabel") await ctx.betweenSteps();
    },
    ...(o.checkpoint
      ? {
          checkpointEvery: ctx.checkpointEvery,
          onCheckpoint: async (nextStep: number, optimizer: tf.Optimizer) => {
            const c = o.checkpoint!;
            await uploadCheckpoint(api, projectId, leaseId, c.slot, { stage: o.stage, nextStep, extra: { ...c.extra, done: false } }, c.models, optimizer);
          },
        }
      : {}),
  };

  const cleanup = () => {
    ctx.shutdown.removeEventListener("abort", onShutdown);
    lease.signal.removeEventListener("abort", onLost);
    ctx.turn?.removeEventListener("abort", onTurn);
  };
  try {
    const result = await body(hooks);
    cleanup();
    return {
      result,
      runId,
      finish: async (extra = {}) => {
        await report({ step: o.totalSteps, status: "DONE", ...(extra.accuracy !== undefined ? { accuracy: extra.accuracy } : {}) });
        ctx.log(`${o.stage}: run ${runId} done`);
      },
    };
  } catch (err) {
    cleanup();
    if (stop.signal.aborted) {
      const why = stop.signal.reason as StageInterrupted["why"];
      // Paused or stopping: keep the work done so far. A lost lease means another trainer owns the project now.
      if (why !== "lease lost") {
        // Only a stage stopped between steps (StageAborted) holds a known step's state in these models (data-parallel
        // stages bring their replicas' state back first); after any other error the last periodic checkpoint stands.
        const stoppedAt = err instanceof StageAborted ? err.nextStep : null;
        if (o.checkpoint && stoppedAt !== null && stoppedAt > o.startStep) {
          const c = o.checkpoint;
          await uploadCheckpoint(api, projectId, leaseId, c.slot, { stage: o.stage, nextStep: stoppedAt, extra: { ...c.extra, done: false } }, c.models, c.optimizer);
        }
        const step = stoppedAt ?? lastStep;
        // People see why a run nobody paused stopped, and that it goes on from here.
        const note =
          why === "stopping"
            ? `The trainer was stopped at step ${step}; training continues from here when a trainer takes the project again.`
            : why === "another project's turn"
              ? `Paused at step ${step} while the trainer serves another project whose work is due; continues from here at this project's next turn.`
              : null;
        await report({ step, status: "PAUSED", error: note }).catch(() => {});
      }
      ctx.log(`${o.stage}: ${why} at step ${lastStep}`);
      throw new StageInterrupted(why);
    }
    const message = err instanceof Error ? err.message : String(err);
    await report({ step: lastStep, status: "FAILED", error: message.slice(0, 2000) }).catch(() => {});
    throw err;
  }
}
