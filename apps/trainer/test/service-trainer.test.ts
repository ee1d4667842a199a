// A trainer that runs as its own service (docker/compose.yml's `trainer`), from the outside: web servers started with
// FEWLABEL_SERVICE_TRAINER_TOKEN register it as an instance token, so a trainer holding that secret sees every
// project; two instances on one database agree on it; a changed secret revokes the old one; a weak one stops the
// server. And the health route that load balancers and container healthchecks ask.
import { testDatabaseKinds } from "@fewlabel/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer, TestUser } from "@fewlabel/web/testing";
import { createTrainerApi } from "../src/api-client";

const SECRET = `flt_${"a1".repeat(24)}`;

describe.each(testDatabaseKinds)("the trainer service's token on %s", (kind) => {
  let a: TestServer;
  const extra: TestServer[] = [];

  beforeAll(async () => {
    a = await startTestServer(kind, { serviceTrainerToken: SECRET });
  });
  afterAll(async () => {
    for (const s of extra.reverse()) await s.close();
    await a?.close();
  });

  it("serves every project, on every instance that was given it", async () => {
    // A second instance on the same database registers the same secret: no conflict, one token.
    const b = await startTestServer(kind, { shared: a, serviceTrainerToken: SECRET });
    extra.push(b);
    const ann = await TestUser.signUp(a.baseUrl, "ann@example.com");
    const bob = await TestUser.signUp(b.baseUrl, "bob@example.com");
    const p1 = await ann.trpc.projects.create.mutate({ name: "One", classes: [{ name: "x" }] });
    const p2 = await bob.trpc.projects.create.mutate({ name: "Two", classes: [{ name: "y" }] });
    for (const base of [a.baseUrl, b.baseUrl]) {
      const { projects } = await createTrainerApi(base, SECRET).trpc.projects.query();
      expect(projects.map((p) => p.id)).toEqual(expect.arrayContaining([p1.id, p2.id]));
    }
    expect(await a.db.prisma.trainerToken.count({ where: { name: "trainer service", revokedAt: null } })).toBe(1);
    // A token it was not given is refused.
    await expect(createTrainerApi(a.baseUrl, `flt_${"b2".repeat(24)}`).trpc.projects.query()).rejects.toThrow();
  });

  it("revokes the old secret when an instance starts with a new one", async () => {
    const renewed = `flt_${"c3".repeat(24)}`;
    extra.push(await startTestServer(kind, { shared: a, serviceTrainerToken: renewed }));
    await expect(createTrainerApi(a.baseUrl, SECRET).trpc.projects.query()).rejects.toThrow();
    expect((await createTrainerApi(a.baseUrl, renewed).trpc.projects.query()).projects.length).toBeGreaterThan(0);
  });

  it("refuses to start with a guessable secret", async () => {
    await expect(startTestServer(kind, { shared: a, serviceTrainerToken: "flt_short" })).rejects.toThrow(/FEWLABEL_SERVICE_TRAINER_TOKEN must be/);
  });

  it("answers /api/health without a session while the database answers", async () => {
    const res = await fetch(`${a.baseUrl}/api/health`);
    expect([res.status, await res.json()]).toEqual([200, { ok: true }]);
  });
});
