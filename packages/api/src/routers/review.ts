// Reviewers' queue of disagreements: images whose annotators' votes name different classes, or are unsure.
import { z } from "zod";
import { projectProcedure, router } from "../trpc";

export const reviewRouter = router({
  disagreements: projectProcedure("viewProject")
    .input(z.object({ cursor: z.number().int().min(0).nullish(), limit: z.number().int().min(1).max(200).default(50) }))
    .query(async ({ ctx, input }) => {
      const where = { projectId: ctx.access.projectId, disagreement: true };
      const offset = input.cursor ?? 0;
      const [total, images] = await Promise.all([
        ctx.db.image.count({ where }),
        ctx.db.image.findMany({
          where,
          orderBy: [{ labelledAt: "desc" }, { id: "asc" }],
          skip: offset,
          take: input.limit,
          select: { id: true, filename: true, labelClassId: true, votes: { select: { userId: true, classId: true, unsure: true }, orderBy: { seq: "asc" } } },
        }),
      ]);
      const userIds = [...new Set(images.flatMap((i) => i.votes.map((v) => v.userId)))];
      const names = new Map((await ctx.db.user.findMany({ where: { id: { in: userIds } }, select: { id: true, name: true } })).map((u) => [u.id, u.name]));
      const next = offset + images.length;
      return {
        total,
        items: images.map((i) => ({
          imageId: i.id,
          filename: i.filename,
          labelClassId: i.labelClassId,
          votes: i.votes.filter((v) => v.classId !== null).map((v) => ({ ...v, name: names.get(v.userId) ?? "former member" })),
        })),
        nextCursor: next < total ? next : null,
      };
    }),
});
