// Password guessing is slowed down, over real HTTP, on PGlite and on the local PostgreSQL: an account takes a
// limited number of attempts per window, one address a limited number of failures, and the limits lift when the
// window ends.
import { testDatabaseKinds } from "@fewlabel/db/testing";
import { SIGN_IN_LIMITS } from "@fewlabel/api";
import { TRPCClientError } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer, TestUser, trpcErrorCode } from "./harness";

const password = "correct horse battery";

describe.each(testDatabaseKinds)("sign-in throttle on %s", (kind) => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer(kind);
    await TestUser.signUp(t.baseUrl, "victim@example.com");
    await TestUser.signUp(t.baseUrl, "bystander@example.com");
  });
  afterAll(() => t?.close());

  const signIn = (email: string, pw: string) => trpcErrorCode(new TestUser(t.baseUrl).trpc.auth.signIn.mutate({ email, password: pw }));
  /** Lets every counting window end, as if its time had passed. */
  const endWindows = () => t.db.prisma.signInAttempt.updateMany({ data: { expire: new Date(Date.now() - 1000) } });

  it("refuses an account's attempts past the limit, even with the right password, until the window ends", async () => {
    const limit = SIGN_IN_LIMITS.perAccount.attempts;
    // A success before the limit clears the count.
    for (let i = 0; i < limit - 1; i++) expect(await signIn("victim@example.com", "wrong guess")).toBe("UNAUTHORIZED");
    expect(await signIn("victim@example.com", password)).toBe("OK");
    for (let i = 0; i < limit; i++) expect(await signIn("victim@example.com", `guess ${i}`)).toBe("UNAUTHORIZED");
    const blocked = new TestUser(t.baseUrl).trpc.auth.signIn.mutate({ email: "VICTIM@example.com", password });
    const err = await blocked.then(
      () => null,
      (e: unknown) => e,
    );
    if (!(err instanceof TRPCClientError)) throw new Error(`expected a tRPC error, got ${String(err)}`);
    expect(err.data?.code).toBe("TOO_MANY_REQUESTS");
    expect(err.message).toMatch(/Too many sign-in attempts for this account\. Try again in 1[45] minutes\./);
    // Other accounts are not affected; the blocked one is again once its window has ended.
    expect(await signIn("bystander@example.com", password)).toBe("OK");
    await endWindows();
    expect(await signIn("victim@example.com", password)).toBe("OK");
  });

  it("refuses an address that failed too often, for every account, until the window ends", async () => {
    await endWindows();
    // Failures spread over many unknown accounts, so that the per-account limit never applies.
    const failures = SIGN_IN_LIMITS.perAddress.failures;
    for (let i = 0; i < failures; i += 10) {
      const codes = await Promise.all(Array.from({ length: Math.min(10, failures - i) }, (_, j) => signIn(`nobody${i + j}@example.com`, "guess")));
      expect(new Set(codes)).toEqual(new Set(["UNAUTHORIZED"]));
    }
    expect(await signIn("bystander@example.com", password)).toBe("TOO_MANY_REQUESTS");
    // Nothing about the accounts changed: once the window ends, the right password works.
    await endWindows();
    expect(await signIn("bystander@example.com", password)).toBe("OK");
  });
  it("limits the accounts one address may create per window", async () => {
    await endWindows();
    const limit = SIGN_IN_LIMITS.signUpsPerAddress.attempts;
    for (let i = 0; i < limit; i += 10) {
      const codes = await Promise.all(Array.from({ length: Math.min(10, limit - i) }, (_, j) => trpcErrorCode(TestUser.signUp(t.baseUrl, `mass${i + j}@example.com`))));
      expect(new Set(codes)).toEqual(new Set(["OK"]));
    }
    expect(await trpcErrorCode(TestUser.signUp(t.baseUrl, "one-too-many@example.com"))).toBe("TOO_MANY_REQUESTS");
    expect(await t.db.prisma.user.count({ where: { email: "one-too-many@example.com" } })).toBe(0);
    await endWindows();
    expect(await trpcErrorCode(TestUser.signUp(t.baseUrl, "one-too-many@example.com"))).toBe("OK");
  });
});
