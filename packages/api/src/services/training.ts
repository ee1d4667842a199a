// Training state shared by the trainer-facing and the people-facing routers: owners' controls (pause, resume, "fine-tune
// now"), the rule for when stage 2 is due again, and training runs with their progress.
import type { Prisma, PrismaClient } from "@fewlabel/db";

type TrainingStatus = "RUNNING" | "PAUSED" | "DONE" | "FAILED";
import { type ProjectEvent, type TrainerActivity, trainerActivity, type TrainingProgress, type TrainingStage } from "@fewlabel/realtime";
import { type Actor, appendEvents } from "./project-events";

type Db = PrismaClient | Prisma.TransactionClient;

export async function trainingControl(db: Db, projectId: string) {
  return (
    (await db.trainingControl.findUnique({ where: { projectId } })) ?? {
      projectId,
      paused: false,
      fineTuneRequestedAt: null,
      fineTuneEveryLabels: 50,
      fineTuneEveryFraction: 0.1,
      trainerError: null,
      trainerErrorAt: null,
      activity: null,
      activityAt: null,
      activityLeaseId: null,
      updatedAt: new Date(0),
    }
  );
}

/**
 * How many new labels make stage 2 due again: `everyLabels`, or `everyFraction` of the labelled set at the last
 * fine-tune, whichever is fewer (never less than one).
 */
export function fineTuneThreshold(labelledAtLastFineTune: number, everyLabels: number, everyFraction: number): number {
  return Math.max(1, Math.min(everyLabels, Math.ceil(labelledAtLastFineTune * everyFraction) || everyLabels));
}

/** The data of a `training.control` event: the owners' switches and who holds the trainer lease. */
export async function controlEventData(db: Db, projectId: string) {
  const [control, lease] = await Promise.all([trainingControl(db, projectId), db.trainerLease.findUnique({ where: { projectId } })]);
  const live = lease && lease.expiresAt.getTime() > Date.now() ? lease : null;
  return {
    paused: control.paused,
    fineTuneRequested: control.fineTuneRequestedAt !== null,
    trainer: live ? { holder: live.holder, expiresAt: live.expiresAt.toISOString() } : null,
  };
}

/** What a run left RUNNING by a trainer that is gone says on the training page. */
export const INTERRUPTED_RUN_NOTE = "Interrupted: the trainer stopped without finishing this run. Training continues from its last checkpoint when a trainer takes the project.";

/**
 * What follows any change of a project's trainer lease (claimed, released, or ended for a trainer that is gone): a run
 * still RUNNING belongs to a trainer that no longer holds the lease (only the holder starts runs, and a claim is
 * fresh), so it is not running any more. It is marked PAUSED with a note instead of showing "running" for ever; the
 * next run continues from its last checkpoint. Then browsers learn who trains the project now.
 */
export async function leaseChanged(tx: Prisma.TransactionClient, projectId: string, actor: Actor): Promise<ProjectEvent[]> {
  const stale = await tx.trainingRun.findMany({ where: { projectId, status: "RUNNING" }, select: { id: true } });
  const progress = [];
  for (const { id } of stale) {
    const run = await tx.trainingRun.update({ where: { id }, data: { status: "PAUSED", error: INTERRUPTED_RUN_NOTE } });
    progress.push({ type: "training.progress" as const, data: progressOf(run) });
  }
  return appendEvents(tx, projectId, actor, [...progress, { type: "training.control", data: await controlEventData(tx, projectId) }]);
}

export async function setTrainingControl(
  db: PrismaClient,
  projectId: string,
  actor: Actor,
  change: Partial<{ paused: boolean; fineTuneRequestedAt: Date | null; fineTuneEveryLabels: number; fineTuneEveryFraction: number; trainerError: string | null; trainerErrorAt: Date | null }>,
): Promise<ProjectEvent[]> {
  return db.$transaction(async (tx) => {
    await tx.trainingControl.upsert({ where: { projectId }, create: { projectId, ...change }, update: change });
    return appendEvents(tx, projectId, actor, [{ type: "training.control", data: await controlEventData(tx, projectId) }]);
  });
}

/**
 * Stores what the lease holder now does and why, and announces it (`training.activity`). The trainer reports only
 * changes of its decision, so every call is news: one numbered event each.
 */
export async function recordActivity(db: PrismaClient, projectId: string, leaseId: string, actor: Actor, activity: TrainerActivity): Promise<ProjectEvent[]> {
  return db.$transaction(async (tx) => {
    const at = new Date();
    const change = { activity, activityAt: at, activityLeaseId: leaseId };
    await tx.trainingControl.upsert({ where: { projectId }, create: { projectId, ...change }, update: change });
    return appendEvents(tx, projectId, actor, [{ type: "training.activity", data: { ...activity, at: at.toISOString() } }]);
  });
}

/**
 * The activity people are shown: only the live lease holder's. A trainer that stopped or lost the lease is doing
 * nothing any more, and a new holder has not said yet; a stored value that does not parse (an older trainer's) is
 * left out rather than shown wrongly.
 */
export function currentActivity(control: { activity: unknown; activityAt: Date | null; activityLeaseId: string | null }, liveLeaseId: string | null): (TrainerActivity & { at: Date }) | null {
  if (!liveLeaseId || control.activityLeaseId !== liveLeaseId || !control.activityAt) return null;
  const parsed = trainerActivity.safeParse(control.activity);
  return parsed.success ? { ...parsed.data, at: control.activityAt } : null;
}

/** Points kept in a run's loss curve; older points are thinned (every other dropped) beyond this. */
export const MAX_HISTORY = 400;

export interface HistoryPoint {
  step: number;
  loss: number | null;
  accuracy: number | null;
  at: string;
}

export function appendHistory(history: HistoryPoint[], point: HistoryPoint): HistoryPoint[] {
  const out = [...history, point];
  return out.length > MAX_HISTORY ? out.filter((_, i) => i % 2 === 1 || i === out.length - 1) : out;
}

type Run = Prisma.TrainingRunGetPayload<object>;

export function progressOf(run: Run): TrainingProgress {
  const skipped = Array.isArray(run.skippedImages) ? run.skippedImages.length : 0;
  const remaining = run.totalSteps - run.step;
  // Images/s is per image seen; steps/s is what the ETA needs: estimate it from the run's own pace.
  const elapsed = (run.updatedAt.getTime() - run.startedAt.getTime()) / 1000;
  const done = run.step - run.startStep;
  const eta = run.status === "RUNNING" && done > 0 && elapsed > 0 ? (remaining * elapsed) / done : null;
  return {
    runId: run.id,
    stage: run.stage as TrainingStage,
    status: run.status,
    step: run.step,
    totalSteps: run.totalSteps,
    startStep: run.startStep,
    loss: run.loss,
    accuracy: run.accuracy,
    imagesPerSecond: run.imagesPerSecond,
    backend: run.backend,
    etaSeconds: eta === null ? null : Math.round(eta),
    error: run.error,
    skippedImages: skipped,
  };
}

export interface ProgressReport {
  step: number;
  loss?: number | null;
  accuracy?: number | null;
  imagesPerSecond?: number | null;
  status?: TrainingStatus;
  error?: string | null;
  skipped?: { imageId: string; reason: string }[];
}

/**
 * Stores a run's progress and returns its `training.progress` event: numbered in the change log when the run's status
 * changes (paused, done, failed), transient (seq 0, for Broadcaster.publishTransient) for the ticks in between, which
 * would otherwise fill the log with thousands of events per hour of training.
 */
export async function recordProgress(db: PrismaClient, projectId: string, actor: Actor, runId: string, report: ProgressReport): Promise<{ event: ProjectEvent; transient: boolean } | null> {
  return db.$transaction(async (tx) => {
    const run = await tx.trainingRun.findFirst({ where: { id: runId, projectId } });
    if (!run) return null;
    const now = new Date();
    const finished = report.status === "DONE" || report.status === "FAILED";
    // An owner's "fine-tune now" holds until a fine-tune finishes (not merely starts), so a run interrupted by a
    // restart is resumed; a request made after this run started asks for another one and stays.
    if (report.status === "DONE" && run.stage === "finetune" && run.status !== "DONE") {
      await tx.trainingControl.updateMany({ where: { projectId, fineTuneRequestedAt: { lte: run.startedAt } }, data: { fineTuneRequestedAt: null } });
    }
    const updated = await tx.trainingRun.update({
      where: { id: runId },
      data: {
        step: Math.min(report.step, run.totalSteps),
        ...(report.loss !== undefined ? { loss: report.loss } : {}),
        ...(report.accuracy !== undefined ? { accuracy: report.accuracy } : {}),
        ...(report.imagesPerSecond !== undefined ? { imagesPerSecond: report.imagesPerSecond } : {}),
        ...(report.status ? { status: report.status } : {}),
        ...(report.error !== undefined ? { error: report.error } : {}),
        ...(finished ? { finishedAt: now } : {}),
        ...(report.skipped?.length ? { skippedImages: [...(run.skippedImages as object[]), ...report.skipped].slice(0, 10_000) } : {}),
        ...(report.loss != null || report.accuracy != null
          ? { history: appendHistory(run.history as unknown as HistoryPoint[], { step: report.step, loss: report.loss ?? null, accuracy: report.accuracy ?? null, at: now.toISOString() }) as object[] }
          : {}),
      },
    });
    const data = progressOf(updated);
    if (updated.status !== run.status) {
      const [event] = await appendEvents(tx, projectId, actor, [{ type: "training.progress", data }]);
      return { event: event!, transient: false };
    }
    return { event: { type: "training.progress", seq: 0, projectId, at: now.toISOString(), actor, data } as ProjectEvent, transient: true };
  });
}
