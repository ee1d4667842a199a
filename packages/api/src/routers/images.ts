// Browsing a project's images: a cursor-paged list with filters (for the virtualised grid) and counts per class.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { Prisma } from "@fewlabel/db";
import { needsVoteWhere } from "../services/labelling";
import { projectProcedure, router } from "../trpc";

export const imageFilter = z.object({
  status: z.enum(["all", "labelled", "unlabelled"]).default("all"),
  classId: z.uuid().nullable().default(null),
  search: z.string().trim().max(200).default(""),
  /** The grid's order: upload order (the work queue's), newest uploads first, or by file name. */
  sort: z.enum(["oldest", "newest", "name"]).default("oldest"),
});
export type ImageFilter = z.infer<typeof imageFilter>;

const orderOf: Record<ImageFilter["sort"], Prisma.ImageOrderByWithRelationInput[]> = {
  oldest: [{ createdAt: "asc" }, { id: "asc" }],
  newest: [{ createdAt: "desc" }, { id: "desc" }],
  name: [{ filename: "asc" }, { id: "asc" }],
};

export function imageWhere(projectId: string, f: ImageFilter): Prisma.ImageWhereInput {
  return {
    projectId,
    ...(f.classId ? { labelClassId: f.classId } : f.status === "labelled" ? { labelClassId: { not: null } } : {}),
    ...(f.status === "unlabelled" ? { labelClassId: null } : {}),
    ...(f.search ? { filename: { contains: f.search, mode: "insensitive" as const } } : {}),
  };
}

export const imagesRouter = router({
  list: projectProcedure("viewProject")
    .input(
      z.object({
        filter: imageFilter.default({ status: "all", classId: null, search: "", sort: "oldest" }),
        cursor: z.number().int().min(0).nullish(),
        limit: z.number().int().min(1).max(1000).default(300),
      }),
    )
    .query(async ({ ctx, input }) => {
      // Offset paging keyed by position: the grid knows the total and asks for the page under the viewport.
      const where = imageWhere(ctx.access.projectId, input.filter);
      const offset = input.cursor ?? 0;
      const [total, items] = await Promise.all([
        ctx.db.image.count({ where }),
        ctx.db.image.findMany({
          where,
          orderBy: orderOf[input.filter.sort],
          skip: offset,
          take: input.limit,
          select: { id: true, filename: true, width: true, height: true, labelClassId: true, labelSource: true, labelledAt: true },
        }),
      ]);
      const next = offset + items.length;
      return { items, total, offset, nextCursor: next < total ? next : null };
    }),

  stats: projectProcedure("viewProject").query(async ({ ctx }) => {
    const projectId = ctx.access.projectId;
    const [rows, project] = await Promise.all([
      ctx.db.image.groupBy({ by: ["labelClassId"], where: { projectId }, _count: { _all: true } }),
      ctx.db.project.findUniqueOrThrow({ where: { id: projectId }, select: { annotatorsPerImage: true } }),
    ]);
    const perClass = rows.filter((r) => r.labelClassId !== null).map((r) => ({ classId: r.labelClassId!, count: r._count._all }));
    const total = rows.reduce((s, r) => s + r._count._all, 0);
    const unlabelled = rows.find((r) => r.labelClassId === null)?._count._all ?? 0;
    // The labelling view's "to go", counted as the work queue counts it, kept live with the rest of these figures.
    const toGo = await ctx.db.image.count({ where: needsVoteWhere(projectId, project.annotatorsPerImage) });
    return { total, labelled: total - unlabelled, unlabelled, perClass, toGo };
  }),

  get: projectProcedure("viewProject")
    .input(z.object({ imageId: z.uuid() }))
    .query(async ({ ctx, input }) => {
      const image = await ctx.db.image.findFirst({
        where: { id: input.imageId, projectId: ctx.access.projectId },
        include: { labelClass: true, uploadedBy: { select: { name: true } } },
      });
      if (!image) throw new TRPCError({ code: "NOT_FOUND", message: "Image not found." });
      return image;
    }),

  /** Every change to one image's label: who, when, from what, to what. */
  history: projectProcedure("viewProject")
    .input(z.object({ imageId: z.uuid() }))
    .query(async ({ ctx, input }) => {
      const rows = await ctx.db.annotation.findMany({
        where: { imageId: input.imageId, projectId: ctx.access.projectId },
        orderBy: { id: "asc" },
        include: { author: { select: { id: true, name: true } } },
      });
      return rows.map((r) => ({
        id: r.id.toString(),
        seq: r.seq === null ? null : Number(r.seq),
        author: r.author,
        classId: r.classId,
        previousClassId: r.previousClassId,
        unsure: r.unsure,
        source: r.source,
        undo: r.undoOf !== null,
        createdAt: r.createdAt,
      }));
    }),
});
