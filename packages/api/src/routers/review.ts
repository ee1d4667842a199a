// Reviewers' queue: images whose votes name different classes or are unsure ("open"), and the images a reviewer's
// decision settled ("decided"), each with every vote, the decision in force and the model's latest suggestion; and
// the decision itself (review.decide).
import { z } from "zod";
import { decideLabel } from "../services/labelling";
import { projectProcedure, router } from "../trpc";

export const reviewRouter = router({
  disagreements: projectProcedure("viewProject")
    .input(
      z.object({
        /** open: still listed for reviewers (a decision contradicted by a later vote included); decided: settled by a decision. */
        status: z.enum(["open", "decided"]).default("open"),
        cursor: z.number().int().min(0).nullish(),
        limit: z.number().int().min(1).max(200).default(50),
      }),
    )
    .query(async ({ ctx, input }) => {
      const projectId = ctx.access.projectId;
      const where =
        input.status === "open"
          ? { projectId, disagreement: true }
          : { projectId, disagreement: false, votes: { some: { projectId, decision: true, classId: { not: null } } } };
      const offset = input.cursor ?? 0;
      const [total, images] = await Promise.all([
        ctx.db.image.count({ where }),
        ctx.db.image.findMany({
          where,
          orderBy: [{ labelledAt: "desc" }, { id: "asc" }],
          skip: offset,
          take: input.limit,
          select: { id: true, filename: true, labelClassId: true, votes: { select: { userId: true, classId: true, unsure: true, decision: true, seq: true }, orderBy: { seq: "asc" } } },
        }),
      ]);
      const imageIds = images.map((i) => i.id);
      const userIds = [...new Set(images.flatMap((i) => i.votes.map((v) => v.userId)))];
      const [users, suggestions] = await Promise.all([
        ctx.db.user.findMany({ where: { id: { in: userIds } }, select: { id: true, name: true } }),
        // The model's newest word on each image, whatever became of it: a disputed image is usually labelled, so its
        // suggestion is rarely still pending.
        ctx.db.pseudoLabel.findMany({
          where: { projectId, imageId: { in: imageIds } },
          orderBy: [{ createdAt: "desc" }, { id: "asc" }],
          distinct: ["imageId"],
          select: { imageId: true, classId: true, confidence: true, status: true, modelVersion: { select: { id: true, version: true, stage: true } } },
        }),
      ]);
      const names = new Map(users.map((u) => [u.id, u.name]));
      const suggestionOf = new Map(suggestions.map(({ imageId, ...s }) => [imageId, s]));
      const next = offset + images.length;
      return {
        total,
        items: images.map((i) => {
          const named = i.votes.filter((v) => v.classId !== null);
          // The votes are in seq order: the last decision is the one in force (resolve-label.ts).
          const decided = named.filter((v) => v.decision).at(-1);
          return {
            imageId: i.id,
            filename: i.filename,
            labelClassId: i.labelClassId,
            votes: named.map((v) => ({
              userId: v.userId,
              classId: v.classId,
              unsure: v.unsure,
              decision: v.decision,
              /** Cast after the decision in force (a vote that contradicts it lists the image again). */
              afterDecision: decided !== undefined && v.seq > decided.seq,
              name: names.get(v.userId) ?? "former member",
            })),
            decision: decided ? { userId: decided.userId, name: names.get(decided.userId) ?? "former member", classId: decided.classId! } : null,
            suggestion: suggestionOf.get(i.id) ?? null,
          };
        }),
        nextCursor: next < total ? next : null,
      };
    }),

  /** A reviewer's decision: the image's label becomes `classId` whatever the votes' counts, until a reviewer decides again. */
  decide: projectProcedure("decideLabel")
    .input(z.object({ imageId: z.uuid(), classId: z.uuid() }))
    .mutation(async ({ ctx, input }) => {
      const events = await decideLabel(ctx.db, { projectId: ctx.access.projectId, actor: { id: ctx.user.id, name: ctx.user.name } }, input.imageId, input.classId);
      ctx.broadcaster?.publish(events);
      return { seq: events[events.length - 1]?.seq ?? 0 };
    }),
});
