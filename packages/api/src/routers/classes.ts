// Label classes of a project (name, colour, hotkey). Everyone in the project reads them; owners edit them.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { Prisma } from "@fewlabel/db";
import type { ApiServices } from "../context";
export { classPalette as palette } from "../palette";
import { announce } from "../services/project-events";
import { projectProcedure, router } from "../trpc";

/** Owners edit classes; every open client refetches them on this event. */
const classesChanged = (ctx: ApiServices & { access: { projectId: string }; user: { id: string; name: string } }) =>
  announce(ctx, ctx.access.projectId, ctx.user, [{ type: "classes.changed", data: {} }]);

export const classFields = z.object({
  name: z.string().trim().min(1, "Name the class.").max(80),
  color: z.string().regex(/^#[0-9a-fA-F]{6}$/, "Colour must look like #12abef."),
  hotkey: z
    .string()
    .regex(/^[0-9a-z]$/, "A hotkey is one digit or lower-case letter.")
    .nullable()
    .optional(),
});

export function uniqueViolation(err: unknown): string | undefined {
  if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002") {
    const target = JSON.stringify(err.meta ?? {});
    return target.includes("hotkey") ? "hotkey" : "name";
  }
  return undefined;
}

function conflict(err: unknown): never {
  const field = uniqueViolation(err);
  if (field) throw new TRPCError({ code: "CONFLICT", message: `Another class already uses this ${field}.` });
  throw err;
}

export const classesRouter = router({
  list: projectProcedure("viewProject").query(({ ctx }) => ctx.db.labelClass.findMany({ where: { projectId: ctx.access.projectId }, orderBy: [{ position: "asc" }, { createdAt: "asc" }] })),

  create: projectProcedure("manageClasses")
    .input(classFields)
    .mutation(async ({ ctx, input }) => {
      const position = await ctx.db.labelClass.count({ where: { projectId: ctx.access.projectId } });
      const created = await ctx.db.labelClass.create({ data: { projectId: ctx.access.projectId, name: input.name, color: input.color, hotkey: input.hotkey ?? null, position } }).catch(conflict);
      await classesChanged(ctx);
      return created;
    }),

  update: projectProcedure("manageClasses")
    .input(classFields.partial().extend({ classId: z.uuid() }))
    .mutation(async ({ ctx, input }) => {
      const { classId, ...data } = input;
      const updated = await ctx.db.labelClass.updateMany({ where: { id: classId, projectId: ctx.access.projectId }, data }).catch(conflict);
      if (updated.count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "Class not found." });
      await classesChanged(ctx);
      return ctx.db.labelClass.findUniqueOrThrow({ where: { id: classId } });
    }),

  delete: projectProcedure("manageClasses")
    .input(z.object({ classId: z.uuid() }))
    .mutation(async ({ ctx, input }) => {
      // Images labelled with the class become unlabelled (FK ON DELETE SET NULL); their history keeps the event.
      const deleted = await ctx.db.labelClass.deleteMany({ where: { id: input.classId, projectId: ctx.access.projectId } });
      if (deleted.count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "Class not found." });
      await classesChanged(ctx);
      return { ok: true };
    }),

  reorder: projectProcedure("manageClasses")
    .input(z.object({ classIds: z.array(z.uuid()).max(1000) }))
    .mutation(async ({ ctx, input }) => {
      await ctx.db.$transaction(input.classIds.map((id, position) => ctx.db.labelClass.updateMany({ where: { id, projectId: ctx.access.projectId }, data: { position } })));
      await classesChanged(ctx);
      return { ok: true };
    }),
});
