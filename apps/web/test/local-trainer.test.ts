// The trainer `npm start` runs beside the web server: a child process with an instance token the server minted for
// it, which may serve every project; stopping it releases its leases and revokes the token.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalTrainer } from "../src/server/local-trainer";
import { startTestServer, type TestServer, TestUser } from "./harness";

describe("local trainer", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer("pglite");
  });
  afterAll(() => t?.close());

  it("claims every project with the server's instance token and gives everything back when stopped", { timeout: 60_000 }, async () => {
    const owner = await TestUser.signUp(t.baseUrl, "owner@example.com");
    const other = await TestUser.signUp(t.baseUrl, "other@example.com");
    const { id: a } = await owner.trpc.projects.create.mutate({ name: "A", classes: [{ name: "x" }] });
    const { id: b } = await other.trpc.projects.create.mutate({ name: "B", classes: [{ name: "y" }] });
    // The child inherits the environment: keep it idle (no project has enough images) and polling often.
    Object.assign(process.env, { FEWLABEL_MIN_IMAGES: "1000", FEWLABEL_POLL_INTERVAL_MS: "200", FEWLABEL_TF_BACKEND: "wasm" });
    const trainer = await startLocalTrainer(t.db.prisma, Number(new URL(t.baseUrl).port));
    const holders = async () => [(await owner.trpc.training.status.query({ projectId: a })).trainer?.holder, (await other.trpc.training.status.query({ projectId: b })).trainer?.holder];
    let seen: (string | undefined)[] = [];
    for (let i = 0; i < 400 && !(seen[0] && seen[1]); i++) {
      seen = await holders();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(seen).toEqual(["local trainer", "local trainer"]);
    const token = await t.db.prisma.trainerToken.findFirstOrThrow({ where: { projectId: null, revokedAt: null } });
    expect(token.name).toBe("local trainer");
    await trainer.stop();
    expect(await holders()).toEqual([undefined, undefined]);
    expect((await t.db.prisma.trainerToken.findUniqueOrThrow({ where: { id: token.id } })).revokedAt).not.toBeNull();
  });
});
