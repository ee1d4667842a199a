// Instance administration, for the admin (the first account): who may sign up, the accounts, disabling one
// (its sessions and open tabs end at once), lifting a sign-in lock.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { accountThrottleKey, SIGN_IN_LIMITS, signInThrottle } from "../auth/sign-in-throttle";
import { setSignUpPolicy, signUpPolicy, signUpPolicySchema } from "../services/instance-settings";
import { hashToken, newToken } from "../auth/sessions";
import { authedProcedure, router } from "../trpc";
import { endSessions } from "./auth";

const adminProcedure = authedProcedure.use(({ ctx, next }) => {
  if (!ctx.user.isAdmin) throw new TRPCError({ code: "FORBIDDEN", message: "Only the instance's administrator can do this." });
  return next();
});

const RESET_HOURS = 24;

export const adminRouter = router({
  settings: adminProcedure.query(async ({ ctx }) => ({ signUpPolicy: await signUpPolicy(ctx.db) })),

  setSignUpPolicy: adminProcedure.input(z.object({ signUpPolicy: signUpPolicySchema })).mutation(async ({ ctx, input }) => {
    await setSignUpPolicy(ctx.db, input.signUpPolicy);
    return { signUpPolicy: input.signUpPolicy };
  }),

  users: adminProcedure.query(async ({ ctx }) => {
    const users = await ctx.db.user.findMany({
      orderBy: { createdAt: "asc" },
      select: {
        id: true,
        email: true,
        name: true,
        isAdmin: true,
        createdAt: true,
        disabledAt: true,
        memberships: { select: { role: true, project: { select: { id: true, name: true } } }, orderBy: { createdAt: "asc" } },
        _count: { select: { sessions: true } },
      },
    });
    const locks = await ctx.db.signInAttempt.findMany({
      where: { key: { in: users.map((u) => accountThrottleKey(u.email)) }, points: { gte: SIGN_IN_LIMITS.perAccount.attempts }, OR: [{ expire: null }, { expire: { gt: new Date() } }] },
      select: { key: true, expire: true },
    });
    const lockedUntil = new Map(locks.map((l) => [l.key, l.expire]));
    return users.map(({ _count, memberships, ...u }) => ({
      ...u,
      projects: memberships.map((m) => ({ id: m.project.id, name: m.project.name, role: m.role })),
      sessions: _count.sessions,
      signInLocked: lockedUntil.has(accountThrottleKey(u.email)),
      signInLockedUntil: lockedUntil.get(accountThrottleKey(u.email)) ?? null,
    }));
  }),

  setDisabled: adminProcedure.input(z.object({ userId: z.uuid(), disabled: z.boolean() })).mutation(async ({ ctx, input }) => {
    if (input.userId === ctx.user.id) throw new TRPCError({ code: "BAD_REQUEST", message: "You cannot disable your own account." });
    const { count } = await ctx.db.user.updateMany({ where: { id: input.userId }, data: { disabledAt: input.disabled ? new Date() : null } });
    if (count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "No such user." });
    const sessionsEnded = input.disabled ? await endSessions(ctx, { userId: input.userId }) : 0;
    return { ok: true, sessionsEnded };
  }),

  /** A one-time link (valid a day) that lets the person set a new password; shown to the admin once. */
  createPasswordReset: adminProcedure.input(z.object({ userId: z.uuid() })).mutation(async ({ ctx, input }) => {
    if (!(await ctx.db.user.count({ where: { id: input.userId } }))) throw new TRPCError({ code: "NOT_FOUND", message: "No such user." });
    const token = newToken();
    const expiresAt = new Date(Date.now() + RESET_HOURS * 3600_000);
    await ctx.db.passwordReset.create({ data: { tokenHash: hashToken(token), userId: input.userId, expiresAt } });
    return { path: `/reset/${token}`, expiresAt };
  }),

  liftSignInLock: adminProcedure.input(z.object({ userId: z.uuid() })).mutation(async ({ ctx, input }) => {
    const user = await ctx.db.user.findUnique({ where: { id: input.userId }, select: { email: true } });
    if (!user) throw new TRPCError({ code: "NOT_FOUND", message: "No such user." });
    await signInThrottle(ctx.db).succeeded(user.email);
    return { ok: true };
  }),
});
