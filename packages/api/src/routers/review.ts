// Reviewers' queue: images whose votes name different classes or are unsure ("open"), and the images a reviewer's
// decision settled ("decided"), each with every vote, the decision in force and the model's latest suggestion; and
// the decision itself (review.decide).
import { z } from "zod";
import { resolveLabelIssue } from "../services/label-issues";
import { decideLabel } from "../services/labelling";
import { projectProcedure, router } from "../trpc";
import { openDuplicateGroups, reopenDuplicateGroup, resolveDuplicateGroup } from "../services/duplicates";

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
      const where = input.status === "open" ? { projectId, disagreement: true } : { projectId, disagreement: false, votes: { some: { projectId, decision: true, classId: { not: null } } } };
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

  /**
   * Possible label errors (issue 17): open issues whose image still has the label the model contradicted, least
   * self-confident first, with the label's author.
   */
  labelIssues: projectProcedure("viewProject")
    .input(z.object({ limit: z.number().int().min(1).max(200).default(50) }))
    .query(async ({ ctx, input }) => {
      const rows = await ctx.db.labelIssue.findMany({
        where: { projectId: ctx.access.projectId, status: "OPEN" },
        orderBy: [{ selfConfidence: "asc" }, { id: "asc" }],
        take: 500,
        include: { image: { select: { filename: true, labelClassId: true, labelledById: true } }, modelVersion: { select: { version: true } } },
      });
      const current = rows.filter((r) => r.image.labelClassId === r.givenClassId);
      const authors = new Map(
        (await ctx.db.user.findMany({ where: { id: { in: current.flatMap((r) => (r.image.labelledById ? [r.image.labelledById] : [])) } }, select: { id: true, name: true } })).map((u) => [
          u.id,
          u.name,
        ]),
      );
      return {
        total: current.length,
        items: current.slice(0, input.limit).map((r) => ({
          id: r.id,
          imageId: r.imageId,
          filename: r.image.filename,
          givenClassId: r.givenClassId,
          suggestedClassId: r.suggestedClassId,
          selfConfidence: r.selfConfidence,
          suggestedConfidence: r.suggestedConfidence,
          labelledBy: r.image.labelledById ? (authors.get(r.image.labelledById) ?? "former member") : null,
          modelVersion: r.modelVersion.version,
        })),
      };
    }),

  /** Settles a possible label error with a decision: keep the label (its class) or change it (another). */
  resolveIssue: projectProcedure("decideLabel")
    .input(z.object({ issueId: z.uuid(), classId: z.uuid() }))
    .mutation(async ({ ctx, input }) => {
      const events = await resolveLabelIssue(ctx.db, { projectId: ctx.access.projectId, actor: { id: ctx.user.id, name: ctx.user.name } }, input.issueId, input.classId);
      ctx.broadcaster?.publish(events);
      return { seq: events[events.length - 1]?.seq ?? 0 };
    }),

  /** Near-duplicate groups (issue 17): open ones, those straddling the held-out split first, with their images. */
  duplicates: projectProcedure("viewProject")
    .input(z.object({ limit: z.number().int().min(1).max(200).default(30) }))
    .query(({ ctx, input }) => openDuplicateGroups(ctx.db, ctx.access.projectId, input.limit)),

  /** Settles a group: keep one image and hide the others, or find them distinct. */
  resolveDuplicates: projectProcedure("decideLabel")
    .input(z.object({ groupId: z.uuid(), action: z.discriminatedUnion("kind", [z.object({ kind: z.literal("keep"), imageId: z.uuid() }), z.object({ kind: z.literal("distinct") })]) }))
    .mutation(async ({ ctx, input }) => {
      const events = await resolveDuplicateGroup(ctx.db, ctx.access.projectId, { id: ctx.user.id, name: ctx.user.name }, input.groupId, input.action);
      ctx.broadcaster?.publish(events);
      return { hidden: events.flatMap((e) => (e.type === "images.hidden" ? e.data.imageIds : [])).length };
    }),

  /** Undo of resolveDuplicates: the group opens again and the images it hid are shown. */
  reopenDuplicates: projectProcedure("decideLabel")
    .input(z.object({ groupId: z.uuid() }))
    .mutation(async ({ ctx, input }) => {
      const events = await reopenDuplicateGroup(ctx.db, ctx.access.projectId, { id: ctx.user.id, name: ctx.user.name }, input.groupId);
      ctx.broadcaster?.publish(events);
      return { shown: events.flatMap((e) => (e.type === "images.hidden" ? e.data.imageIds : [])).length };
    }),
});
