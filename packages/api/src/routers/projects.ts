// Projects: the ones I belong to, create (I become owner), rename, delete.
import { TRPCError } from "@trpc/server";
import { DEFAULT_TRAINING_COPY_SIDE, LEGACY_TRAINING_COPY_SIDE } from "@fewlabel/storage";
import { trainingCopySideOf } from "../context";
import { deleteProjectAndFiles } from "../services/project-files";
import { z } from "zod";
import { authedProcedure, projectProcedure, router } from "../trpc";
import { classFields, palette } from "./classes";

const projectName = z.string().trim().min(1, "Name the project.").max(120);

export const projectsRouter = router({
  list: authedProcedure.query(async ({ ctx }) => {
    const memberships = await ctx.db.membership.findMany({
      where: { userId: ctx.user.id },
      include: { project: { include: { _count: { select: { images: { where: { hiddenAt: null } }, members: true } } } } },
      orderBy: { project: { createdAt: "desc" } },
    });
    const projectIds = memberships.map((m) => m.projectId);
    const labelled = await ctx.db.image.groupBy({
      by: ["projectId"],
      where: { projectId: { in: projectIds }, labelClassId: { not: null }, hiddenAt: null },
      _count: { _all: true },
    });
    const labelledBy = new Map(labelled.map((r) => [r.projectId, r._count._all]));
    return memberships.map((m) => ({
      id: m.project.id,
      name: m.project.name,
      description: m.project.description,
      createdAt: m.project.createdAt,
      role: m.role,
      images: m.project._count.images,
      members: m.project._count.members,
      labelled: labelledBy.get(m.projectId) ?? 0,
    }));
  }),

  create: authedProcedure
    .input(
      z.object({
        name: projectName,
        description: z.string().max(2000).default(""),
        classes: z
          .array(classFields.partial({ color: true }))
          .max(200)
          .default([]),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const names = new Set(input.classes.map((c) => c.name.toLowerCase()));
      if (names.size !== input.classes.length) throw new TRPCError({ code: "BAD_REQUEST", message: "Two classes have the same name." });
      const keys = input.classes.map((c) => c.hotkey).filter(Boolean);
      if (new Set(keys).size !== keys.length) throw new TRPCError({ code: "BAD_REQUEST", message: "Two classes have the same hotkey." });
      return ctx.db.project.create({
        data: {
          name: input.name,
          description: input.description,
          members: { create: { userId: ctx.user.id, role: "OWNER" } },
          classes: {
            create: input.classes.map((c, i) => ({
              name: c.name,
              color: c.color ?? palette[i % palette.length]!,
              hotkey: c.hotkey ?? null,
              position: i,
            })),
          },
        },
        select: { id: true, name: true },
      });
    }),

  get: projectProcedure("viewProject").query(async ({ ctx }) => {
    const project = await ctx.db.project.findUniqueOrThrow({
      where: { id: ctx.access.projectId },
      include: { classes: { orderBy: [{ position: "asc" }, { createdAt: "asc" }] } },
    });
    // seq is a BigInt in the database; clients only need it as a number.
    return { ...project, seq: Number(project.seq), role: ctx.access.role };
  }),

  update: projectProcedure("manageProject")
    .input(
      z.object({
        name: projectName.optional(),
        description: z.string().max(2000).optional(),
        annotatorsPerImage: z.number().int().min(1).max(20).optional(),
        leaseSeconds: z.number().int().min(15).max(3600).optional(),
        /** How the work queue chooses the next image (active learning: least confident or smallest margin first). */
        queueOrder: z.enum(["OLDEST", "RANDOM", "LEAST_CONFIDENT", "MARGIN", "DIVERSE"]).optional(),
      }),
    )
    .mutation(({ ctx, input: { projectId: _, ...data } }) =>
      ctx.db.project.update({
        where: { id: ctx.access.projectId },
        data,
        select: { id: true, name: true, description: true, annotatorsPerImage: true, leaseSeconds: true, queueOrder: true },
      }),
    ),

  delete: projectProcedure("manageProject")
    .input(z.object({ confirmName: z.string() }))
    .mutation(async ({ ctx, input }) => {
      const project = await ctx.db.project.findUniqueOrThrow({ where: { id: ctx.access.projectId } });
      if (project.name !== input.confirmName) {
        throw new TRPCError({ code: "BAD_REQUEST", message: "Type the project's name to confirm deletion." });
      }
      // Its files go too: model files and checkpoints, and image files no other project shares (project-files.ts).
      const sides = [...new Set([trainingCopySideOf(ctx), LEGACY_TRAINING_COPY_SIDE, DEFAULT_TRAINING_COPY_SIDE])];
      await deleteProjectAndFiles(ctx.db, ctx.store, project.id, sides);
      return { ok: true };
    }),
});
