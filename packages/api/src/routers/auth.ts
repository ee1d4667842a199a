// Sign up, sign in, sign out, who am I; the caller's sessions and password.
import type { PrismaClient } from "@fewlabel/db";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { decoyHash, hashPassword, MIN_PASSWORD_LENGTH, verifyPassword } from "../auth/password";
import { createSession, deleteSession, hashToken } from "../auth/sessions";
import { signInThrottle } from "../auth/sign-in-throttle";
import type { Broadcaster } from "../broadcast";
import { signUpPolicy } from "../services/instance-settings";
import { authedProcedure, publicProcedure, router } from "../trpc";
import { usableInvite } from "./invites";

const email = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: "Enter a valid email address." }));
const password = z.string().min(MIN_PASSWORD_LENGTH, `Use at least ${MIN_PASSWORD_LENGTH} characters.`).max(200, "That password is too long.");

export const authRouter = router({
  me: publicProcedure.query(({ ctx }) => ctx.session?.user ?? null),

  /** What the sign-up page says: only the install's first account (which administers it) is told so. */
  signUpInfo: publicProcedure.query(async ({ ctx }) => ({ firstAccount: (await ctx.db.user.findFirst({ select: { id: true } })) === null })),

  signUp: publicProcedure
    .input(z.object({ email, name: z.string().trim().min(1, "Enter your name.").max(100), password, inviteToken: z.string().max(200).optional() }))
    .mutation(async ({ ctx, input }) => {
      await signInThrottle(ctx.db).signUp(ctx.clientAddress);
      await checkSignUpPolicy(ctx.db, input.inviteToken);
      const passwordHash = await hashPassword(input.password);
      const user = await ctx.db.$transaction(async (tx) => {
        // Serialise sign-ups so that exactly one account (the first) becomes the instance admin.
        await tx.$executeRawUnsafe("SELECT pg_advisory_xact_lock(72107306)");
        if (await tx.user.findUnique({ where: { email: input.email }, select: { id: true } })) {
          throw new TRPCError({ code: "CONFLICT", message: "An account with this email already exists. Sign in instead." });
        }
        const isAdmin = (await tx.user.count()) === 0;
        return tx.user.create({
          data: { email: input.email, name: input.name, passwordHash, isAdmin },
          select: { id: true, email: true, name: true, isAdmin: true },
        });
      });
      const session = await createSession(ctx.db, user.id);
      ctx.setSessionCookie(session.token, session.expiresAt);
      return user;
    }),

  signIn: publicProcedure.input(z.object({ email, password: z.string().max(200) })).mutation(async ({ ctx, input }) => {
    const throttle = signInThrottle(ctx.db);
    // Counted before the password is checked: a guess made after the limit is refused unchecked.
    await throttle.attempt(input.email, ctx.clientAddress);
    const user = await ctx.db.user.findUnique({ where: { email: input.email } });
    const ok = await verifyPassword(user?.passwordHash ?? (await decoyHash()), input.password);
    if (!user || !ok) {
      await throttle.failed(ctx.clientAddress);
      throw new TRPCError({ code: "UNAUTHORIZED", message: "Wrong email or password." });
    }
    await throttle.succeeded(input.email);
    if (user.disabledAt) throw new TRPCError({ code: "FORBIDDEN", message: "This account is disabled; ask the instance's administrator." });
    const session = await createSession(ctx.db, user.id);
    ctx.setSessionCookie(session.token, session.expiresAt);
    return { id: user.id, email: user.email, name: user.name, isAdmin: user.isAdmin };
  }),

  signOut: authedProcedure.mutation(async ({ ctx }) => {
    await deleteSession(ctx.db, ctx.session.sessionId);
    ctx.broadcaster?.endSession?.(ctx.session.sessionId);
    ctx.setSessionCookie(null);
    return { ok: true };
  }),

  /** Whose password a reset link would set (the reset page shows it), or why the link no longer works. */
  resetInfo: publicProcedure.input(z.object({ token: z.string().max(200) })).query(async ({ ctx, input }) => {
    const reset = await usableReset(ctx.db, input.token);
    return { email: reset.user.email };
  }),

  /** Sets a new password through a one-time link; every session of the account ends, and a sign-in lock lifts. */
  resetPassword: publicProcedure.input(z.object({ token: z.string().max(200), newPassword: password })).mutation(async ({ ctx, input }) => {
    const reset = await usableReset(ctx.db, input.token);
    const passwordHash = await hashPassword(input.newPassword);
    // Claimed once: of two uses racing, one finds it used.
    const claimed = await ctx.db.passwordReset.updateMany({ where: { tokenHash: reset.tokenHash, usedAt: null }, data: { usedAt: new Date() } });
    if (claimed.count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "This reset link was already used." });
    await ctx.db.user.update({ where: { id: reset.userId }, data: { passwordHash } });
    await signInThrottle(ctx.db).succeeded(reset.user.email);
    await endSessions(ctx, { userId: reset.userId });
    return { email: reset.user.email };
  }),

  /** The caller's signed-in sessions (browsers, devices), newest use first. */
  sessions: authedProcedure.query(async ({ ctx }) => {
    const rows = await ctx.db.session.findMany({
      where: { userId: ctx.user.id, expiresAt: { gt: new Date() } },
      orderBy: { lastSeenAt: "desc" },
      select: { id: true, createdAt: true, lastSeenAt: true, expiresAt: true },
    });
    // The id is the token's hash: it names a session but cannot be used as one.
    return rows.map((r) => ({ ...r, current: r.id === ctx.session.sessionId }));
  }),

  /** Ends one of the caller's sessions (its open tabs go offline at once); ending the current one signs out here. */
  endSession: authedProcedure.input(z.object({ sessionId: z.string().regex(/^[0-9a-f]{64}$/) })).mutation(async ({ ctx, input }) => {
    const { count } = await ctx.db.session.deleteMany({ where: { id: input.sessionId, userId: ctx.user.id } });
    if (count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "No such session." });
    ctx.broadcaster?.endSession?.(input.sessionId);
    if (input.sessionId === ctx.session.sessionId) ctx.setSessionCookie(null);
    return { ok: true };
  }),

  /** Signs the caller out on every browser and device, this one included. */
  signOutEverywhere: authedProcedure.mutation(async ({ ctx }) => {
    const ended = await endSessions(ctx, { userId: ctx.user.id });
    ctx.setSessionCookie(null);
    return { ended };
  }),

  /** A new password; every other session ends (someone who knew the old one is signed out). */
  changePassword: authedProcedure.input(z.object({ currentPassword: z.string().max(200), newPassword: password })).mutation(async ({ ctx, input }) => {
    const throttle = signInThrottle(ctx.db);
    await throttle.attempt(ctx.user.email, ctx.clientAddress);
    const user = await ctx.db.user.findUniqueOrThrow({ where: { id: ctx.user.id }, select: { passwordHash: true } });
    if (!(await verifyPassword(user.passwordHash, input.currentPassword))) {
      await throttle.failed(ctx.clientAddress);
      throw new TRPCError({ code: "UNAUTHORIZED", message: "The current password is not right." });
    }
    await throttle.succeeded(ctx.user.email);
    await ctx.db.user.update({ where: { id: ctx.user.id }, data: { passwordHash: await hashPassword(input.newPassword) } });
    return { otherSessionsEnded: await endSessions(ctx, { userId: ctx.user.id, id: { not: ctx.session.sessionId } }) };
  }),
});

async function usableReset(db: PrismaClient, token: string) {
  const reset = await db.passwordReset.findUnique({ where: { tokenHash: hashToken(token) }, include: { user: { select: { email: true } } } });
  const why = !reset ? "This reset link is not valid." : reset.usedAt ? "This reset link was already used." : reset.expiresAt.getTime() < Date.now() ? "This reset link has expired." : undefined;
  if (why || !reset) throw new TRPCError({ code: "NOT_FOUND", message: `${why ?? "This reset link is not valid."} Ask the administrator for a new one.` });
  return reset;
}

/**
 * The admin's sign-up policy. The first account is always allowed (it becomes the admin); "invite-only" takes a
 * sign-up that carries a usable invite link (the person accepts it next), "closed" none.
 */
async function checkSignUpPolicy(db: PrismaClient, inviteToken: string | undefined) {
  const policy = await signUpPolicy(db);
  if (policy === "open" || (await db.user.count()) === 0) return;
  if (policy === "closed") throw new TRPCError({ code: "FORBIDDEN", message: "Sign-up is closed on this instance; ask its administrator for an account." });
  if (!inviteToken) throw new TRPCError({ code: "FORBIDDEN", message: "This instance takes new accounts by invite only: open your invite link first." });
  await usableInvite(db, inviteToken);
}

/** Deletes sessions and closes their live connections; returns how many ended. */
export async function endSessions(ctx: { db: PrismaClient; broadcaster?: Broadcaster }, where: { userId: string; id?: { not: string } }) {
  const ended = await ctx.db.session.findMany({ where, select: { id: true } });
  await ctx.db.session.deleteMany({ where: { id: { in: ended.map((s) => s.id) } } });
  for (const s of ended) ctx.broadcaster?.endSession?.(s.id);
  return ended.length;
}
