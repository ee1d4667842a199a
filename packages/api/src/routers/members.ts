// Project members and their roles. A project always keeps at least one owner.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { Prisma } from "@fewlabel/db";
import { projectProcedure, router } from "../trpc";

export const roleSchema = z.enum(["OWNER", "REVIEWER", "ANNOTATOR"]);

async function assertAnotherOwnerRemains(tx: Prisma.TransactionClient, projectId: string, userId: string) {
  const owners = await tx.membership.count({ where: { projectId, role: "OWNER", userId: { not: userId } } });
  if (owners === 0) throw new TRPCError({ code: "BAD_REQUEST", message: "A project needs at least one owner: make someone else owner first." });
}

export const membersRouter = router({
  list: projectProcedure("viewProject").query(({ ctx }) =>
    ctx.db.membership
      .findMany({
        where: { projectId: ctx.access.projectId },
        include: { user: { select: { id: true, name: true, email: true } } },
        orderBy: { createdAt: "asc" },
      })
      .then((rows) => rows.map((m) => ({ userId: m.userId, name: m.user.name, email: m.user.email, role: m.role, since: m.createdAt }))),
  ),

  setRole: projectProcedure("manageMembers")
    .input(z.object({ userId: z.uuid(), role: roleSchema }))
    .mutation(({ ctx, input }) =>
      ctx.db.$transaction(async (tx) => {
        const m = await tx.membership.findUnique({ where: { projectId_userId: { projectId: ctx.access.projectId, userId: input.userId } } });
        if (!m) throw new TRPCError({ code: "NOT_FOUND", message: "Not a member of this project." });
        if (m.role === "OWNER" && input.role !== "OWNER") await assertAnotherOwnerRemains(tx, ctx.access.projectId, input.userId);
        return tx.membership.update({
          where: { projectId_userId: { projectId: ctx.access.projectId, userId: input.userId } },
          data: { role: input.role },
          select: { userId: true, role: true },
        });
      }),
    ),

  remove: projectProcedure("manageMembers")
    .input(z.object({ userId: z.uuid() }))
    .mutation(({ ctx, input }) =>
      ctx.db
        .$transaction(async (tx) => {
          const m = await tx.membership.findUnique({ where: { projectId_userId: { projectId: ctx.access.projectId, userId: input.userId } } });
          if (!m) throw new TRPCError({ code: "NOT_FOUND", message: "Not a member of this project." });
          if (m.role === "OWNER") await assertAnotherOwnerRemains(tx, ctx.access.projectId, input.userId);
          await tx.membership.delete({ where: { projectId_userId: { projectId: ctx.access.projectId, userId: input.userId } } });
          // The links they may still hold stop working for them; a new invite made after this lets them back.
          const key = { projectId: ctx.access.projectId, userId: input.userId };
          await tx.memberRemoval.upsert({ where: { projectId_userId: key }, create: key, update: { removedAt: new Date() } });
          return { ok: true };
        })
        .then((r) => {
          ctx.broadcaster?.leaveProject?.(ctx.access.projectId, input.userId);
          return r;
        }),
    ),

  /** Any member may leave, except the last owner. */
  leave: projectProcedure("viewProject").mutation(({ ctx }) =>
    ctx.db
      .$transaction(async (tx) => {
        if (ctx.access.role === "OWNER") await assertAnotherOwnerRemains(tx, ctx.access.projectId, ctx.user.id);
        await tx.membership.delete({ where: { projectId_userId: { projectId: ctx.access.projectId, userId: ctx.user.id } } });
        return { ok: true };
      })
      .then((r) => {
        ctx.broadcaster?.leaveProject?.(ctx.access.projectId, ctx.user.id);
        return r;
      }),
  ),
});
