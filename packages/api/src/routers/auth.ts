// Sign up, sign in, sign out, and who am I.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { decoyHash, hashPassword, MIN_PASSWORD_LENGTH, verifyPassword } from "../auth/password";
import { createSession, deleteSession } from "../auth/sessions";
import { signInThrottle } from "../auth/sign-in-throttle";
import { authedProcedure, publicProcedure, router } from "../trpc";

const email = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: "Enter a valid email address." }));
const password = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `Use at least ${MIN_PASSWORD_LENGTH} characters.`)
  .max(200, "That password is too long.");

export const authRouter = router({
  me: publicProcedure.query(({ ctx }) => ctx.session?.user ?? null),

  signUp: publicProcedure
    .input(z.object({ email, name: z.string().trim().min(1, "Enter your name.").max(100), password }))
    .mutation(async ({ ctx, input }) => {
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

  signIn: publicProcedure
    .input(z.object({ email, password: z.string().max(200) }))
    .mutation(async ({ ctx, input }) => {
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
});
