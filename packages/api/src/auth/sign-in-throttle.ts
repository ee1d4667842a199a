// Slows down password guessing. Two counters, both kept in the database (so every web server behind one PostgreSQL
// shares them, and they survive a restart), through rate-limiter-flexible's Prisma store:
//   - per account (email): every attempt counts before the password is checked, so parallel guesses cannot slip
//     past the limit; a successful sign-in clears the count. This one stops guessing at one account from anywhere.
//   - per client address: only failures count, so a team behind one address is not locked out by its own sign-ins.
//     This one stops one machine from trying many accounts.
// The price of the first is that someone who knows an email can keep that account from signing in for a while; the
// window is short so that the lock-out is too.
import type { PrismaClient } from "@fewlabel/db";
import { TRPCError } from "@trpc/server";
import { RateLimiterPrisma, RateLimiterRes } from "rate-limiter-flexible";

export const SIGN_IN_LIMITS = {
  /** Attempts per email within the window. */
  perAccount: { attempts: 10, windowSeconds: 15 * 60 },
  /** Failed attempts per client address within the window. */
  perAddress: { failures: 100, windowSeconds: 60 * 60 },
  /** New accounts per client address within the window (sign-up is open: one machine cannot mint thousands). */
  signUpsPerAddress: { attempts: 100, windowSeconds: 60 * 60 },
};

/** The row of an account's sign-in attempts (rate-limiter-flexible's key: prefix, colon, key), for the admin's view. */
export const accountThrottleKey = (email: string) => `account:${email}`;

export interface SignInThrottle {
  /** Counts an attempt at `email` from `address`; throws TOO_MANY_REQUESTS when either limit is spent. */
  attempt(email: string, address: string | null): Promise<void>;
  failed(address: string | null): Promise<void>;
  /** Clears an account's count (a successful sign-in, a password reset, an admin lifting the lock). */
  succeeded(email: string): Promise<void>;
  /** Counts a sign-up from `address`; throws TOO_MANY_REQUESTS when the address has made too many. */
  signUp(address: string | null): Promise<void>;
}

const throttles = new WeakMap<PrismaClient, SignInThrottle>();

/** The throttle of a database (one per client: the limiters start a timer that sweeps expired rows). */
export function signInThrottle(db: PrismaClient): SignInThrottle {
  let t = throttles.get(db);
  if (!t) throttles.set(db, (t = createThrottle(db)));
  return t;
}

function createThrottle(db: PrismaClient): SignInThrottle {
  // tableName is the client's property for the model (prisma.signInAttempt).
  const store = { storeClient: db, tableName: "signInAttempt" };
  const perAccount = new RateLimiterPrisma({
    ...store,
    keyPrefix: "account",
    points: SIGN_IN_LIMITS.perAccount.attempts,
    duration: SIGN_IN_LIMITS.perAccount.windowSeconds,
  });
  const perAddress = new RateLimiterPrisma({
    ...store,
    keyPrefix: "address",
    points: SIGN_IN_LIMITS.perAddress.failures,
    duration: SIGN_IN_LIMITS.perAddress.windowSeconds,
  });
  const signUps = new RateLimiterPrisma({
    ...store,
    keyPrefix: "signup",
    points: SIGN_IN_LIMITS.signUpsPerAddress.attempts,
    duration: SIGN_IN_LIMITS.signUpsPerAddress.windowSeconds,
  });
  return {
    async signUp(address) {
      if (!address) return;
      try {
        await signUps.consume(address);
      } catch (e) {
        if (e instanceof RateLimiterRes) {
          const minutes = Math.max(1, Math.ceil(e.msBeforeNext / 60_000));
          throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: `Too many new accounts from this address. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.` });
        }
        throw e;
      }
    },
    async attempt(email, address) {
      if (address) {
        const spent = await perAddress.get(address);
        if (spent && spent.consumedPoints >= SIGN_IN_LIMITS.perAddress.failures) throw tooMany("from this address", spent);
      }
      try {
        await perAccount.consume(email);
      } catch (e) {
        if (e instanceof RateLimiterRes) throw tooMany("for this account", e);
        throw e;
      }
    },
    async failed(address) {
      if (address) await perAddress.penalty(address, 1);
    },
    async succeeded(email) {
      await perAccount.delete(email);
    },
  };
}

function tooMany(where: string, res: RateLimiterRes): TRPCError {
  const minutes = Math.max(1, Math.ceil(res.msBeforeNext / 60_000));
  return new TRPCError({
    code: "TOO_MANY_REQUESTS",
    message: `Too many sign-in attempts ${where}. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`,
  });
}
