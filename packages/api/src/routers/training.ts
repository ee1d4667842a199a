// People's side of training: the live status (stage, progress, curve, backend, the trainer holding the lease),
// owners' switches (start = "fine-tune now" and unpause; pause; resume; when stage 2 runs again) and trainer tokens.
import { releaseTokenLeases } from "../services/trainer-lease";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { createTrainerToken } from "../auth/trainer-tokens";
import { currentActivity, type HistoryPoint, fineTuneThreshold, progressOf, setTrainingControl, trainingControl } from "../services/training";
import { projectProcedure, router } from "../trpc";

const actorOf = (ctx: { user: { id: string; name: string } }) => ({ id: ctx.user.id, name: ctx.user.name });

export const trainingRouter = router({
  status: projectProcedure("viewProject").query(async ({ ctx }) => {
    const projectId = ctx.access.projectId;
    const [control, lease, runs, lastFineTune, images, labelled, pendingSuggestions] = await Promise.all([
      trainingControl(ctx.db, projectId),
      ctx.db.trainerLease.findUnique({ where: { projectId }, select: { leaseId: true, holder: true, expiresAt: true, acquiredAt: true } }),
      ctx.db.trainingRun.findMany({ where: { projectId }, orderBy: { startedAt: "desc" }, take: 10 }),
      ctx.db.modelVersion.findFirst({ where: { projectId, stage: "FINETUNE" }, orderBy: { version: "desc" }, select: { labelledCount: true } }),
      ctx.db.image.count({ where: { projectId, hiddenAt: null } }),
      ctx.db.image.count({ where: { projectId, hiddenAt: null, labelClassId: { not: null } } }),
      ctx.db.pseudoLabel.count({ where: { projectId, status: "PENDING", image: { labelClassId: null, hiddenAt: null } } }),
    ]);
    const current = runs[0];
    // The lease id is the trainer's to write with; people see who holds the lease and until when.
    const live = lease && lease.expiresAt.getTime() > Date.now() ? lease : null;
    return {
      control: {
        paused: control.paused,
        fineTuneRequested: control.fineTuneRequestedAt !== null,
        fineTuneEveryLabels: control.fineTuneEveryLabels,
        fineTuneEveryFraction: control.fineTuneEveryFraction,
      },
      /** The trainer's last failure outside a run, until a run starts; null when none. */
      trainerError: control.trainerError ? { message: control.trainerError, at: control.trainerErrorAt } : null,
      /** The trainer holding the lease; null when none runs (labelling never depends on it). */
      trainer: live ? { holder: live.holder, expiresAt: live.expiresAt, acquiredAt: live.acquiredAt } : null,
      /** What the trainer holding the lease does now and why (its latest decision); null when none holds it or it has not said. */
      activity: currentActivity(control, live?.leaseId ?? null),
      /** The latest run with its loss curve, and the runs before it. */
      current: current
        ? {
            ...progressOf(current),
            startedAt: current.startedAt,
            finishedAt: current.finishedAt,
            history: current.history as unknown as HistoryPoint[],
            skipped: current.skippedImages as { imageId: string; reason: string }[],
          }
        : null,
      recent: runs.map((r) => ({ ...progressOf(r), startedAt: r.startedAt, finishedAt: r.finishedAt })),
      counts: {
        images,
        labelled,
        labelsSinceFineTune: labelled - (lastFineTune?.labelledCount ?? 0),
        fineTuneThreshold: fineTuneThreshold(lastFineTune?.labelledCount ?? 0, control.fineTuneEveryLabels, control.fineTuneEveryFraction),
        pendingSuggestions,
      },
    };
  }),

  /** Unpauses and asks for a fine-tune now (the trainer runs stage 2, then stage 3, next). */
  start: projectProcedure("manageTraining").mutation(async ({ ctx }) => {
    ctx.broadcaster?.publish(await setTrainingControl(ctx.db, ctx.access.projectId, actorOf(ctx), { paused: false, fineTuneRequestedAt: new Date() }));
    return { ok: true };
  }),

  /** The trainer checkpoints and stops stepping at its next progress report; labelling is unaffected. */
  pause: projectProcedure("manageTraining").mutation(async ({ ctx }) => {
    ctx.broadcaster?.publish(await setTrainingControl(ctx.db, ctx.access.projectId, actorOf(ctx), { paused: true }));
    return { ok: true };
  }),

  resume: projectProcedure("manageTraining").mutation(async ({ ctx }) => {
    ctx.broadcaster?.publish(await setTrainingControl(ctx.db, ctx.access.projectId, actorOf(ctx), { paused: false }));
    return { ok: true };
  }),

  /** When stage 2 runs again: after `fineTuneEveryLabels` new labels or `fineTuneEveryFraction` growth, whichever first. */
  updateSettings: projectProcedure("manageTraining")
    .input(z.object({ fineTuneEveryLabels: z.number().int().min(1).max(1_000_000).optional(), fineTuneEveryFraction: z.number().min(0).max(10).optional() }))
    .mutation(async ({ ctx, input }) => {
      const { projectId: _p, ...change } = input;
      ctx.broadcaster?.publish(await setTrainingControl(ctx.db, ctx.access.projectId, actorOf(ctx), change));
      return { ok: true };
    }),

  /** Trainer tokens of the project (never the tokens themselves: only their hash is stored). */
  tokens: projectProcedure("manageTraining").query(({ ctx }) =>
    ctx.db.trainerToken.findMany({
      where: { projectId: ctx.access.projectId, revokedAt: null },
      select: { id: true, name: true, createdAt: true, lastUsedAt: true },
      orderBy: { createdAt: "desc" },
    }),
  ),

  /** A token for a trainer on another machine (FEWLABEL_TRAINER_TOKEN); shown once, in this response. */
  createToken: projectProcedure("manageTraining")
    .input(z.object({ name: z.string().trim().min(1).max(100) }))
    .mutation(async ({ ctx, input }) => {
      const { id, token } = await createTrainerToken(ctx.db, ctx.access.projectId, input.name, ctx.user.id);
      return { id, name: input.name, token };
    }),

  revokeToken: projectProcedure("manageTraining")
    .input(z.object({ tokenId: z.uuid() }))
    .mutation(async ({ ctx, input }) => {
      const r = await ctx.db.trainerToken.updateMany({ where: { id: input.tokenId, projectId: ctx.access.projectId, revokedAt: null }, data: { revokedAt: new Date() } });
      if (r.count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "Trainer token not found." });
      // A revoked token can write nothing more, so the lease its trainer held is free now, not when it lapses.
      ctx.broadcaster?.publish(await releaseTokenLeases(ctx.db, input.tokenId, { id: ctx.user.id, name: ctx.user.name }));
      return { ok: true };
    }),
});
