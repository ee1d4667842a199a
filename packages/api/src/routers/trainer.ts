// The trainer's side of the api (apps/trainer calls these with `Authorization: Bearer <trainer token>`): the lease,
// the project's state, training runs and their progress, and pseudo-labels. Binary data (images, checkpoints, model
// files) goes over plain HTTP routes (http/trainer-routes.ts, http/image-route.ts). Every write names the lease.
import { TRPCError } from "@trpc/server";
import type { PrismaClient } from "@fewlabel/db";
import { z } from "zod";
import type { ModelMetrics } from "../services/model-versions";
import { appendEvents } from "../services/project-events";
import { MAX_DUPLICATE_GROUPS, MAX_GROUP_SIZE, postDuplicateGroups } from "../services/duplicates";
import { MAX_MAP_POINTS_PER_POST, postMapPoints } from "../services/embedding-map";
import { MAX_EMBEDDINGS_PER_POST, postEmbeddings } from "../services/embeddings";
import { MAX_LABEL_ISSUES, postLabelIssues } from "../services/label-issues";
import { postPseudoLabels } from "../services/pseudo-labels";
import { servingVersions } from "../services/serving-model";
import { fineTuneThreshold, INTERRUPTED_RUN_NOTE, leaseChanged, progressOf, recordActivity, recordProgress, setTrainingControl, trainingControl } from "../services/training";
import { claimTrainerLease, holdsTrainerLease, releaseTrainerLease, renewTrainerLease, TRAINER_LEASE_SECONDS } from "../services/trainer-lease";
import { publicProcedure, router, trainerProcedure } from "../trpc";
import { suggestionSource, trainerActivity, trainingStage } from "@fewlabel/realtime";
import { trainingCopyFormat } from "@fewlabel/storage";
import { trainingCopySideOf } from "../context";

const leaseInput = z.object({ leaseId: z.uuid() });
/** How long the lease lasts without a renewal; a trainer renews every third of it. */
const ttlInput = z.object({ ttlSeconds: z.number().int().min(2).max(600).default(TRAINER_LEASE_SECONDS) });

/** A trainer procedure that also needs the project's live lease. */
const leasedProcedure = trainerProcedure.input(leaseInput).use(async ({ ctx, input, next }) => {
  if (!(await holdsTrainerLease(ctx.db, input.projectId, input.leaseId))) {
    throw new TRPCError({ code: "CONFLICT", message: "This trainer does not hold the project's trainer lease (it expired or another trainer took it)." });
  }
  return next({ ctx: { ...ctx, actor: { id: ctx.trainer.tokenId, name: ctx.trainer.name } } });
});

export const trainerRouter = router({
  /** The projects this token may train: its own project, or every project for the local instance token. */
  projects: publicProcedure.query(async ({ ctx }) => {
    if (!ctx.trainer) throw new TRPCError({ code: "UNAUTHORIZED", message: "A valid trainer token is required (Authorization: Bearer <token>)." });
    const where = ctx.trainer.projectId ? { id: ctx.trainer.projectId } : {};
    const projects = await ctx.db.project.findMany({ where, select: { id: true, name: true }, orderBy: { createdAt: "asc" } });
    return { trainer: ctx.trainer.name, projects };
  }),

  claimLease: trainerProcedure.input(z.object({ holder: z.string().trim().min(1).max(200) }).extend(ttlInput.shape)).mutation(async ({ ctx, input }) => {
    const out = await claimTrainerLease(ctx.db, input.projectId, ctx.trainer.tokenId, input.holder, input.ttlSeconds);
    if (!out.ok) return { ok: false as const, holder: out.holder, expiresAt: out.expiresAt };
    const events = await ctx.db.$transaction(async (tx) => leaseChanged(tx, input.projectId, { id: ctx.trainer.tokenId, name: ctx.trainer.name }));
    ctx.broadcaster?.publish(events);
    return { ok: true as const, leaseId: out.leaseId, expiresAt: out.expiresAt, ttlSeconds: out.ttlSeconds };
  }),

  /** Heartbeat: extends the lease and answers the owners' current switches. */
  renewLease: trainerProcedure.input(leaseInput.extend(ttlInput.shape)).mutation(async ({ ctx, input }) => {
    const expiresAt = await renewTrainerLease(ctx.db, input.projectId, input.leaseId, input.ttlSeconds);
    if (!expiresAt) throw new TRPCError({ code: "CONFLICT", message: "The trainer lease lapsed or was taken by another trainer." });
    const control = await trainingControl(ctx.db, input.projectId);
    return { expiresAt, paused: control.paused, fineTuneRequested: control.fineTuneRequestedAt !== null };
  }),

  releaseLease: trainerProcedure.input(leaseInput).mutation(async ({ ctx, input }) => {
    const released = await releaseTrainerLease(ctx.db, input.projectId, input.leaseId);
    if (released) {
      const events = await ctx.db.$transaction(async (tx) => leaseChanged(tx, input.projectId, { id: ctx.trainer.tokenId, name: ctx.trainer.name }));
      ctx.broadcaster?.publish(events);
    }
    return { released };
  }),

  /**
   * What the reconciler decides from, without the image list (cheap enough to poll): classes, published models,
   * checkpoints, owners' switches, counts, and how far the labelled set grew since the last fine-tune.
   */
  summary: trainerProcedure.query(({ ctx, input }) => projectSummary(ctx.db, input.projectId)),

  /** The summary plus every image with its label, for the stage about to run. */
  state: trainerProcedure.query(async ({ ctx, input }) => {
    const [summary, images] = await Promise.all([
      projectSummary(ctx.db, input.projectId),
      // Images hidden as duplicates are not trained on, suggested for or embedded.
      ctx.db.image.findMany({
        where: { projectId: input.projectId, hiddenAt: null },
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
        select: { id: true, labelClassId: true, labelSource: true, contentHash: true, width: true, height: true },
      }),
    ]);
    // The training copy of an image follows from its content and the copies' format (size included): a trainer may
    // keep copies across restarts under both instead of downloading every image again.
    return { ...summary, trainingCopy: trainingCopyFormat(trainingCopySideOf(ctx)), images };
  }),

  /** Starts (or resumes, with startStep > 0) a run of one stage; an owners' request for a fine-tune holds until one finishes. */
  startRun: leasedProcedure
    .input(z.object({ stage: trainingStage, totalSteps: z.number().int().min(0), startStep: z.number().int().min(0).default(0), backend: z.string().max(500).default("") }))
    .mutation(async ({ ctx, input }) => {
      const { run, events } = await ctx.db.$transaction(async (tx) => {
        // Earlier runs end here: a paused one (its work carries over to this run through its checkpoint), and one left
        // RUNNING by a trainer that died, which the lease claim normally marked interrupted already.
        await tx.trainingRun.updateMany({ where: { projectId: input.projectId, status: "RUNNING" }, data: { status: "PAUSED", error: INTERRUPTED_RUN_NOTE } });
        await tx.trainingRun.updateMany({ where: { projectId: input.projectId, status: "PAUSED", finishedAt: null }, data: { finishedAt: new Date() } });
        // Training works again: an earlier failure outside a run is no longer news.
        await tx.trainingControl.updateMany({ where: { projectId: input.projectId, trainerError: { not: null } }, data: { trainerError: null, trainerErrorAt: null } });
        const run = await tx.trainingRun.create({
          data: { projectId: input.projectId, stage: input.stage, totalSteps: input.totalSteps, startStep: input.startStep, step: input.startStep, backend: input.backend, trainer: ctx.trainer.name },
        });
        const events = await appendEvents(tx, input.projectId, ctx.actor, [{ type: "training.progress", data: progressOf(run) }]);
        return { run, events };
      });
      ctx.broadcaster?.publish(events);
      return { runId: run.id };
    }),

  /**
   * A failure outside any run (a model it cannot build, a project it cannot load): people see it on the training
   * page until a run starts. The trainer retries after a rest, so a repeat of the same message only updates its time.
   */
  reportError: leasedProcedure.input(z.object({ message: z.string().trim().min(1).max(2000) })).mutation(async ({ ctx, input }) => {
    const control = await trainingControl(ctx.db, input.projectId);
    if (control.trainerError === input.message) {
      await ctx.db.trainingControl.update({ where: { projectId: input.projectId }, data: { trainerErrorAt: new Date() } });
    } else {
      ctx.broadcaster?.publish(await setTrainingControl(ctx.db, input.projectId, ctx.actor, { trainerError: input.message, trainerErrorAt: new Date() }));
    }
    return { ok: true };
  }),

  /**
   * What the trainer now does for the project and why (its reconciler's decision), sent when the decision changes:
   * the training page says it ("Now: fine-tuning, because …", "Waiting: for …", "Up to date").
   */
  reportActivity: leasedProcedure.input(z.object({ activity: trainerActivity })).mutation(async ({ ctx, input }) => {
    ctx.broadcaster?.publish(await recordActivity(ctx.db, input.projectId, input.leaseId, ctx.actor, input.activity));
    return { ok: true };
  }),

  /** Progress of a run (throttled by the trainer); answers the owners' switches so a pause takes effect promptly. */
  reportProgress: leasedProcedure
    .input(
      z.object({
        runId: z.uuid(),
        step: z.number().int().min(0),
        loss: z.number().finite().nullable().optional(),
        accuracy: z.number().min(0).max(1).nullable().optional(),
        imagesPerSecond: z.number().min(0).finite().nullable().optional(),
        status: z.enum(["RUNNING", "PAUSED", "DONE", "FAILED"]).optional(),
        error: z.string().max(2000).nullable().optional(),
        skipped: z
          .array(z.object({ imageId: z.uuid(), reason: z.string().max(500) }))
          .max(1000)
          .optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { projectId, runId, leaseId: _lease, ...report } = input;
      const recorded = await recordProgress(ctx.db, projectId, ctx.actor, runId, report);
      if (!recorded) throw new TRPCError({ code: "NOT_FOUND", message: "Training run not found in this project." });
      if (recorded.transient) ctx.broadcaster?.publishTransient([recorded.event]);
      else ctx.broadcaster?.publish([recorded.event]);
      const control = await trainingControl(ctx.db, projectId);
      return { paused: control.paused, fineTuneRequested: control.fineTuneRequestedAt !== null };
    }),

  /**
   * A batch of a model version's suggestions for unlabelled images (labelled or already-suggested images are skipped).
   * Quick suggestions (issue 12, item 6) use `refresh` (update this version's pending ones), `keepPendingOf` (leave
   * a better teacher's pending ones alone) and `source` (the head they came from, carried by the event).
   */
  /** Embeddings of the project's images from one of its encoder versions (issue 17: "more like this"). */
  postEmbeddings: leasedProcedure
    .input(
      z.object({
        modelVersionId: z.uuid(),
        items: z
          .array(z.object({ imageId: z.uuid(), vector: z.base64().max(4096 * 8) }))
          .min(1)
          .max(MAX_EMBEDDINGS_PER_POST),
      }),
    )
    .mutation(({ ctx, input }) => postEmbeddings(ctx.db, input.projectId, input.modelVersionId, input.items)),

  /** Places embedded images on the embedding map of the same encoder version (issue 17, item 4). */
  postMapPoints: leasedProcedure
    .input(
      z.object({
        modelVersionId: z.uuid(),
        points: z
          .array(z.object({ imageId: z.uuid(), x: z.number().min(0).max(1), y: z.number().min(0).max(1), cluster: z.number().int().min(0).max(10_000).optional() }))
          .min(1)
          .max(MAX_MAP_POINTS_PER_POST),
      }),
    )
    .mutation(({ ctx, input }) => postMapPoints(ctx.db, input.projectId, input.modelVersionId, input.points)),

  /** The current near-duplicate groups (issue 17): replace the open ones; settled ones stay settled. */
  postDuplicateGroups: leasedProcedure
    .input(
      z.object({
        groups: z.array(z.object({ imageIds: z.array(z.uuid()).min(2).max(MAX_GROUP_SIZE), similarity: z.number().min(0).max(1), straddlesHoldout: z.boolean() })).max(MAX_DUPLICATE_GROUPS),
      }),
    )
    .mutation(({ ctx, input }) => postDuplicateGroups(ctx.db, input.projectId, input.groups)),

  /** The current list of possible label errors (issue 17): replaces the open ones; settled ones stay settled. */
  postLabelIssues: leasedProcedure
    .input(
      z.object({
        modelVersionId: z.uuid(),
        items: z
          .array(z.object({ imageId: z.uuid(), givenClassId: z.uuid(), suggestedClassId: z.uuid(), selfConfidence: z.number().min(0).max(1), suggestedConfidence: z.number().min(0).max(1) }))
          .max(MAX_LABEL_ISSUES),
      }),
    )
    .mutation(({ ctx, input }) => postLabelIssues(ctx.db, input.projectId, input.modelVersionId, input.items)),

  postPseudoLabels: leasedProcedure
    .input(
      z.object({
        modelVersionId: z.uuid(),
        items: z.array(z.object({ imageId: z.uuid(), classId: z.uuid(), confidence: z.number().min(0).max(1), probabilities: z.array(z.number().min(0).max(1)).max(1000) })).max(1000),
        refresh: z.boolean().default(false),
        keepPendingOf: z.array(z.uuid()).max(20).default([]),
        source: suggestionSource.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const out = await postPseudoLabels(ctx.db, input.projectId, ctx.actor, input.modelVersionId, input.items, { refresh: input.refresh, keepPendingOf: input.keepPendingOf, source: input.source });
      ctx.broadcaster?.publish(out.events);
      return { stored: out.stored.length, skipped: out.skipped };
    }),
});

/**
 * An upload with no finish this long after it started (or after its last image) was abandoned: a closed tab must not
 * hold training back for ever.
 */
const UPLOAD_SETTLE_MS = 10 * 60_000;

async function projectSummary(db: PrismaClient, projectId: string) {
  const recent = new Date(Date.now() - UPLOAD_SETTLE_MS);
  const [project, classes, labels, models, checkpoints, control, suggested, uploadsInProgress, newestImage, labelChanges] = await Promise.all([
    db.project.findUniqueOrThrow({ where: { id: projectId }, select: { id: true, name: true } }),
    db.labelClass.findMany({ where: { projectId }, orderBy: [{ position: "asc" }, { createdAt: "asc" }], select: { id: true, name: true } }),
    db.image.groupBy({ by: ["labelClassId", "labelSource"], where: { projectId, hiddenAt: null }, _count: { _all: true } }),
    db.modelVersion.findMany({
      where: { projectId },
      orderBy: { version: "asc" },
      select: { id: true, version: true, stage: true, classIds: true, imageCount: true, labelledCount: true, parentId: true, createdAt: true, metrics: true },
    }),
    db.trainingCheckpoint.findMany({ where: { projectId }, select: { slot: true, byteSize: true, updatedAt: true } }),
    trainingControl(db, projectId),
    db.pseudoLabel.groupBy({ by: ["modelVersionId"], where: { projectId }, _count: { _all: true } }),
    // Still arriving: not finished, and started or sent an image recently (a large archive can take longer than the
    // settle time to send, and keeps counting while its images come in).
    db.upload.count({ where: { projectId, finishedAt: null, OR: [{ createdAt: { gt: recent } }, { images: { some: { createdAt: { gt: recent } } } }] } }),
    db.image.findFirst({ where: { projectId }, orderBy: [{ createdAt: "desc" }, { id: "desc" }], select: { createdAt: true } }),
    db.annotation.count({ where: { projectId } }),
  ]);
  const count = (f: (r: (typeof labels)[number]) => boolean) => labels.filter(f).reduce((n, r) => n + r._count._all, 0);
  const labelled = count((r) => r.labelClassId !== null);
  const lastFineTune = [...models].reverse().find((m) => m.stage === "FINETUNE");
  const measured = models.map((m) => ({ ...m, metrics: m.metrics as ModelMetrics | null, accuracy: (m.metrics as ModelMetrics | null)?.accuracy ?? null }));
  const serving = servingVersions(measured);
  return {
    project,
    classes,
    /** Oldest first; accuracy on held-out labels, null when too few were held out to measure it. */
    models: measured,
    /** The versions the serving rule picks (the same rule as models.serving), so the trainer labels with the best teacher. */
    serving: { teacherId: serving.teacher?.id ?? null, studentId: serving.student?.id ?? null },
    checkpoints,
    counts: {
      images: count(() => true),
      labelled,
      humanLabelled: count((r) => r.labelClassId !== null && (r.labelSource === "HUMAN" || r.labelSource === "IMPORT")),
      /** Distinct classes among labelled images (stage 2 needs two). */
      labelledClasses: new Set(labels.filter((r) => r.labelClassId !== null).map((r) => r.labelClassId)).size,
      labelsSinceFineTune: labelled - (lastFineTune?.labelledCount ?? 0),
      fineTuneThreshold: fineTuneThreshold(lastFineTune?.labelledCount ?? 0, control.fineTuneEveryLabels, control.fineTuneEveryFraction),
      /** Uploads still arriving, so training can wait for the data to settle instead of starting on part of it. */
      uploadsInProgress,
      /**
       * Label changes ever made in the project (its label history's length): it moves with every label, also one that
       * changes a class without changing the counts, so the trainer can tell that its quick suggestions are stale.
       */
      labelChanges,
    },
    /** ISO time of the newest image, or null: how long the project has been quiet. */
    lastImageAt: newestImage?.createdAt.toISOString() ?? null,
    control: { paused: control.paused, fineTuneRequested: control.fineTuneRequestedAt !== null },
    pseudoLabels: suggested.map((x) => ({ modelVersionId: x.modelVersionId, count: x._count._all })),
  };
}
