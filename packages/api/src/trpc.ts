// tRPC setup and the procedure builders that carry authorization: routers pick `publicProcedure`,
// `authedProcedure` or `projectProcedure(permission)` and never check access themselves.
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z, ZodError } from "zod";
import { AccessError, type AccessFailure, requireProjectAccess, requireTrainerAccess } from "./access";
import type { ApiContext } from "./context";
import type { Permission } from "./roles";
import { LabellingError } from "./services/labelling";

const t = initTRPC.context<ApiContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    return {
      ...shape,
      // What failed inside (a database driver's message names tables, queries and codes) stays in the server log.
      message: error.code === "INTERNAL_SERVER_ERROR" ? "The server failed to do this; the details are in its log." : shape.message,
      data: {
        ...shape.data,
        stack: undefined,
        fieldErrors: cause instanceof ZodError ? z.flattenError(cause).fieldErrors : undefined,
      },
    };
  },
});

const trpcCodeOf: Record<AccessFailure, TRPCError["code"]> = {
  unauthenticated: "UNAUTHORIZED",
  not_found: "NOT_FOUND",
  forbidden: "FORBIDDEN",
};

const trpcCodeOfLabelling: Record<LabellingError["code"], TRPCError["code"]> = { not_found: "NOT_FOUND", conflict: "CONFLICT", bad_request: "BAD_REQUEST" };

/** Turns access failures and labelling refusals raised anywhere below into the matching tRPC error. */
const accessErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof AccessError) {
    const cause = result.error.cause;
    throw new TRPCError({ code: trpcCodeOf[cause.failure], message: cause.message, cause });
  }
  if (!result.ok && result.error.cause instanceof LabellingError) {
    const cause = result.error.cause;
    throw new TRPCError({ code: trpcCodeOfLabelling[cause.code], message: cause.message, cause });
  }
  return result;
});

/** Whether any string in a parsed JSON value holds a NUL character (PostgreSQL text cannot store one). */
export function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === "string") return value.includes("\u0000");
  if (depth > 32 || value === null || typeof value !== "object") return false;
  if (Array.isArray(value)) return value.some((v) => containsNul(v, depth + 1));
  return Object.entries(value).some(([k, v]) => k.includes("\u0000") || containsNul(v, depth + 1));
}

/** Refuses input with NUL characters once, for every procedure, instead of a database error deep inside one. */
const noNulCharacters = t.middleware(async ({ getRawInput, next }) => {
  if (containsNul(await getRawInput())) throw new TRPCError({ code: "BAD_REQUEST", message: "Text may not contain NUL characters (\\u0000)." });
  return next();
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(noNulCharacters).use(accessErrors);

export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.session) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first." });
  return next({ ctx: { ...ctx, session: ctx.session, user: ctx.session.user } });
});

export const projectInput = z.object({ projectId: z.uuid() });

/** A procedure on one project that needs `permission` there; handlers receive `ctx.access` (the caller's role). */
export function projectProcedure(permission: Permission) {
  return authedProcedure.input(projectInput).use(async ({ ctx, input, next }) => {
    const access = await requireProjectAccess(ctx.db, ctx.session, input.projectId, permission);
    return next({ ctx: { ...ctx, access } });
  });
}

/**
 * A procedure a trainer calls (Authorization: Bearer <trainer token>) on one project; handlers receive
 * `ctx.trainer` (the token's identity), already checked against `input.projectId`.
 */
export const trainerProcedure = publicProcedure.input(projectInput).use(async ({ ctx, input, next }) => {
  const trainer = await requireTrainerAccess(ctx.db, ctx.trainer, input.projectId);
  return next({ ctx: { ...ctx, trainer } });
});
