// The review queue of model suggestions: list (most or least confident first, filter by class and confidence), the
// suggestion for given images (labelling view), accept / correct / reject one, and bulk accept above a threshold with
// a preview of how many it would accept; a batch of explicit reviews (the gallery: mark the wrong ones, accept the rest)
// and taking such a batch back. Accepting goes through the normal label path (history, events, undo).
import { z } from "zod";
import {
  bulkAcceptPseudoLabels,
  MAX_BATCH_REVIEW,
  MAX_BULK_ACCEPT,
  pendingPerClass,
  pendingWhere,
  type Review,
  reviewPseudoLabel,
  reviewPseudoLabels,
  undoPseudoLabelReviews,
} from "../services/pseudo-labels";
import type { ApiServices } from "../context";
import { projectProcedure, router } from "../trpc";

const filter = z.object({
  classId: z.uuid().nullable().default(null),
  minConfidence: z.number().min(0).max(1).optional(),
  maxConfidence: z.number().min(0).max(1).optional(),
});

const suggestionSelect = {
  id: true,
  imageId: true,
  classId: true,
  confidence: true,
  probabilities: true,
  modelVersionId: true,
  createdAt: true,
  image: { select: { filename: true, width: true, height: true } },
  // stage PRETRAIN: a quick suggestion (a head on the encoder's embeddings), not a classifier's.
  modelVersion: { select: { version: true, classIds: true, stage: true } },
} as const;

const labeller = (ctx: { access: { projectId: string }; user: { id: string; name: string } }) => ({ projectId: ctx.access.projectId, actor: { id: ctx.user.id, name: ctx.user.name } });

export const pseudoLabelsRouter = router({
  /** Pending suggestions for still-unlabelled images; `order: "desc"` (default) puts the most confident first. */
  list: projectProcedure("viewProject")
    .input(filter.extend({ order: z.enum(["asc", "desc"]).default("desc"), cursor: z.number().int().min(0).nullish(), limit: z.number().int().min(1).max(500).default(100) }))
    .query(async ({ ctx, input }) => {
      const where = pendingWhere(ctx.access.projectId, input);
      const offset = input.cursor ?? 0;
      const [total, rows] = await Promise.all([
        ctx.db.pseudoLabel.count({ where }),
        ctx.db.pseudoLabel.findMany({ where, orderBy: [{ confidence: input.order }, { id: "asc" }], skip: offset, take: input.limit, select: suggestionSelect }),
      ]);
      const next = offset + rows.length;
      return { total, items: rows, nextCursor: next < total ? next : null };
    }),

  /** The pending suggestion (if any) of each given image, for the labelling view. */
  forImages: projectProcedure("viewProject")
    .input(z.object({ imageIds: z.array(z.uuid()).min(1).max(500) }))
    .query(({ ctx, input }) => ctx.db.pseudoLabel.findMany({ where: { ...pendingWhere(ctx.access.projectId, {}), imageId: { in: input.imageIds } }, select: suggestionSelect })),

  accept: projectProcedure("reviewSuggestion")
    .input(z.object({ pseudoLabelId: z.uuid() }))
    .mutation(({ ctx, input }) => review(ctx, input.pseudoLabelId, { action: "accept" })),

  reject: projectProcedure("reviewSuggestion")
    .input(z.object({ pseudoLabelId: z.uuid() }))
    .mutation(({ ctx, input }) => review(ctx, input.pseudoLabelId, { action: "reject" })),

  /** Label the image with another class than suggested (source HUMAN). */
  correct: projectProcedure("reviewSuggestion")
    .input(z.object({ pseudoLabelId: z.uuid(), classId: z.uuid() }))
    .mutation(({ ctx, input }) => review(ctx, input.pseudoLabelId, { action: "correct", classId: input.classId })),

  /** How many suggestions `bulkAccept` with the same filter would accept now. */
  bulkAcceptPreview: projectProcedure("viewProject")
    .input(filter.extend({ minConfidence: z.number().min(0).max(1) }))
    .query(async ({ ctx, input }) => {
      const count = await ctx.db.pseudoLabel.count({ where: pendingWhere(ctx.access.projectId, input) });
      return { count, willAccept: Math.min(count, MAX_BULK_ACCEPT), max: MAX_BULK_ACCEPT };
    }),

  /** Pending suggestions per suggested class. */
  perClass: projectProcedure("viewProject").query(({ ctx }) => pendingPerClass(ctx.db, ctx.access.projectId)),

  /**
   * Reviews the given suggestions, each as seen by the reviewer (accept, reject, or correct as another class), in one
   * transaction. Needs only `reviewSuggestion`: every item is one the caller chose, unlike `bulkAccept`'s threshold.
   */
  reviewMany: projectProcedure("reviewSuggestion")
    .input(
      z.object({
        reviews: z
          .array(
            z.discriminatedUnion("action", [
              z.object({ pseudoLabelId: z.uuid(), action: z.enum(["accept", "reject"]) }),
              z.object({ pseudoLabelId: z.uuid(), action: z.literal("correct"), classId: z.uuid() }),
            ]),
          )
          .min(1)
          .max(MAX_BATCH_REVIEW),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const out = await reviewPseudoLabels(ctx.db, labeller(ctx), input.reviews);
      ctx.broadcaster?.publish(out.events);
      return { accepted: out.accepted, rejected: out.rejected, corrected: out.corrected, skipped: out.skipped };
    }),

  /** Takes back the caller's own reviews of these suggestions (the gallery's Undo). */
  undoReviews: projectProcedure("reviewSuggestion")
    .input(z.object({ pseudoLabelIds: z.array(z.uuid()).min(1).max(MAX_BATCH_REVIEW) }))
    .mutation(async ({ ctx, input }) => {
      const out = await undoPseudoLabelReviews(ctx.db, labeller(ctx), input.pseudoLabelIds);
      ctx.broadcaster?.publish(out.events);
      return { reopened: out.reopened, skipped: out.skipped };
    }),

  bulkAccept: projectProcedure("bulkAcceptSuggestions")
    .input(filter.extend({ minConfidence: z.number().min(0).max(1) }))
    .mutation(async ({ ctx, input }) => {
      const out = await bulkAcceptPseudoLabels(ctx.db, labeller(ctx), input);
      ctx.broadcaster?.publish(out.events);
      return { accepted: out.accepted };
    }),
});

type ReviewContext = Parameters<typeof labeller>[0] & ApiServices;

async function review(ctx: ReviewContext, pseudoLabelId: string, r: Review) {
  const events = await reviewPseudoLabel(ctx.db, labeller(ctx), pseudoLabelId, r);
  ctx.broadcaster?.publish(events);
  return { ok: true, seq: events[events.length - 1]?.seq ?? 0 };
}
