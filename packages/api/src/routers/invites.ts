// Invite links: an owner creates a link with a role; whoever opens it signed in joins the project with that role.
// Only the token's hash is stored, so the link itself is shown once, at creation.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { Prisma } from "@fewlabel/db";
import { roleAtLeast } from "../roles";
import { hashToken, newToken } from "../auth/sessions";
import { authedProcedure, projectProcedure, router } from "../trpc";
import { roleSchema } from "./members";

const tokenInput = z.object({ token: z.string().min(20).max(100) });

export async function usableInvite(db: Prisma.TransactionClient, token: string) {
  const invite = await db.invite.findUnique({ where: { tokenHash: hashToken(token) }, include: { project: { select: { id: true, name: true } } } });
  const why = !invite
    ? "This invite link is not valid."
    : invite.revokedAt
      ? "This invite link was revoked."
      : invite.expiresAt.getTime() < Date.now()
        ? "This invite link has expired."
        : invite.maxUses !== null && invite.uses >= invite.maxUses
          ? "This invite link has been used up."
          : undefined;
  if (why || !invite) throw new TRPCError({ code: "NOT_FOUND", message: why ?? "This invite link is not valid." });
  return invite;
}

export const invitesRouter = router({
  create: projectProcedure("manageMembers")
    .input(z.object({ role: roleSchema, expiresInDays: z.number().int().min(1).max(365).default(7), maxUses: z.number().int().min(1).max(10_000).nullable().default(null) }))
    .mutation(async ({ ctx, input }) => {
      const token = newToken();
      const invite = await ctx.db.invite.create({
        data: {
          tokenHash: hashToken(token),
          projectId: ctx.access.projectId,
          role: input.role,
          createdById: ctx.user.id,
          expiresAt: new Date(Date.now() + input.expiresInDays * 86400_000),
          maxUses: input.maxUses,
        },
      });
      return { id: invite.id, token, path: `/invite/${token}`, role: invite.role, expiresAt: invite.expiresAt };
    }),

  list: projectProcedure("manageMembers").query(({ ctx }) =>
    ctx.db.invite.findMany({
      where: { projectId: ctx.access.projectId, revokedAt: null, expiresAt: { gt: new Date() } },
      select: { id: true, role: true, createdAt: true, expiresAt: true, maxUses: true, uses: true, createdBy: { select: { name: true } } },
      orderBy: { createdAt: "desc" },
    }),
  ),

  revoke: projectProcedure("manageMembers")
    .input(z.object({ inviteId: z.uuid() }))
    .mutation(async ({ ctx, input }) => {
      const r = await ctx.db.invite.updateMany({ where: { id: input.inviteId, projectId: ctx.access.projectId }, data: { revokedAt: new Date() } });
      if (r.count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "Invite not found." });
      return { ok: true };
    }),

  preview: authedProcedure.input(tokenInput).query(async ({ ctx, input }) => {
    const invite = await usableInvite(ctx.db, input.token);
    return { projectName: invite.project.name, role: invite.role };
  }),

  accept: authedProcedure.input(tokenInput).mutation(({ ctx, input }) =>
    ctx.db.$transaction(async (tx) => {
      const invite = await usableInvite(tx, input.token);
      const existing = await tx.membership.findUnique({ where: { projectId_userId: { projectId: invite.projectId, userId: ctx.user.id } } });
      const removal = existing ? null : await tx.memberRemoval.findUnique({ where: { projectId_userId: { projectId: invite.projectId, userId: ctx.user.id } } });
      if (removal && removal.removedAt >= invite.createdAt) {
        throw new TRPCError({ code: "FORBIDDEN", message: "An owner removed you from this project after this link was made; ask them for a new invite." });
      }
      // Joining never lowers a role someone already has.
      if (!existing) {
        await tx.membership.create({ data: { projectId: invite.projectId, userId: ctx.user.id, role: invite.role } });
      } else if (!roleAtLeast(existing.role, invite.role)) {
        await tx.membership.update({ where: { projectId_userId: { projectId: invite.projectId, userId: ctx.user.id } }, data: { role: invite.role } });
      }
      const claimed = await tx.invite.updateMany({
        where: { id: invite.id, ...(invite.maxUses !== null ? { uses: { lt: invite.maxUses } } : {}) },
        data: { uses: { increment: 1 } },
      });
      if (claimed.count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "This invite link has been used up." });
      return { projectId: invite.projectId };
    }),
  ),
});
