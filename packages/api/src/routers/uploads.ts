// Upload sessions: the browser opens one, sends its files in several HTTP requests (see http/upload-route.ts), and
// can read afterwards what went in and what was refused and why.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { projectProcedure, router } from "../trpc";

export const uploadsRouter = router({
  start: projectProcedure("upload").mutation(async ({ ctx }) => {
    const upload = await ctx.db.upload.create({ data: { projectId: ctx.access.projectId, userId: ctx.user.id }, select: { id: true } });
    return { uploadId: upload.id };
  }),

  finish: projectProcedure("upload")
    .input(z.object({ uploadId: z.uuid() }))
    .mutation(async ({ ctx, input }) => {
      const r = await ctx.db.upload.updateMany({
        where: { id: input.uploadId, projectId: ctx.access.projectId },
        data: { finishedAt: new Date() },
      });
      if (r.count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "Upload not found." });
      return ctx.db.upload.findUniqueOrThrow({ where: { id: input.uploadId }, omit: { csvLabels: true } });
    }),

  list: projectProcedure("viewProject").query(({ ctx }) =>
    ctx.db.upload.findMany({
      where: { projectId: ctx.access.projectId },
      orderBy: { createdAt: "desc" },
      take: 20,
      omit: { csvLabels: true },
      include: { user: { select: { name: true } } },
    }),
  ),
});
