// Scale-out: two web instances on different ports share one PostgreSQL database and, through the local Redis,
// their socket.io rooms. A label made on instance A reaches a client connected to instance B.
import { randomUUID } from "node:crypto";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { png } from "./fixtures";
import { startTestServer, type TestServer, TestUser } from "./harness";
import { call, collectEvents, connect, type LiveSocket, waitFor } from "./realtime-harness";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

async function redisUp(): Promise<boolean> {
  const c = createClient({ url: REDIS_URL, socket: { connectTimeout: 1000, reconnectStrategy: false } });
  c.on("error", () => {});
  try {
    await c.connect();
    await c.ping();
    await c.quit();
    return true;
  } catch {
    return false;
  }
}

describe("two web instances behind Redis", async () => {
  // Under CI a missing Redis fails the test instead of skipping it.
  const available = (await redisUp()) || !!process.env.CI;
  let a: TestServer;
  let b: TestServer;
  const sockets: LiveSocket[] = [];

  beforeAll(async () => {
    if (!available) return;
    a = await startTestServer("postgres", { redisUrl: REDIS_URL });
    b = await startTestServer("postgres", { redisUrl: REDIS_URL, shared: a });
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await b?.close();
    await a?.close();
  });

  it.skipIf(!available)("delivers a label made on instance A to a client on instance B, and shares presence", async () => {
    expect(a.baseUrl).not.toBe(b.baseUrl);
    const owner = await TestUser.signUp(a.baseUrl, "owner@example.com");
    const { id: projectId } = await owner.trpc.projects.create.mutate({ name: "Scale", classes: [{ name: "cat" }] });
    const { uploadId } = await owner.trpc.uploads.start.mutate({ projectId });
    await owner.uploadFiles(uploadId, [{ path: "x.png", data: await png(5) }]);
    const imageId = (await owner.trpc.images.list.query({ projectId })).items[0]!.id;
    const classId = (await owner.trpc.classes.list.query({ projectId }))[0]!.id;

    // The same session cookie works on both instances: sessions live in the shared database.
    const onB = await connect(b.baseUrl, owner.cookie);
    const onA = await connect(a.baseUrl, owner.cookie);
    sockets.push(onA, onB);
    const seen = collectEvents(onB);
    const presence: string[] = [];
    onB.on("presence:update", (p) => presence.push(`${p.entry.userId}:${p.entry.connections}`));
    await call(onB, "project:join", { projectId });
    const joinA = await call(onA, "project:join", { projectId });
    expect(joinA.presence[0].connections).toBe(2);

    const r = await call(onA, "label:set", { projectId, imageId, classId, clientLabelId: randomUUID() });
    expect(r.ok).toBe(true);
    await waitFor(() => seen.some((e) => e.type === "label"), 5_000);
    expect(seen.find((e) => e.type === "label")).toMatchObject({ seq: r.seq, data: { imageId, resolvedClassId: classId } });
    await waitFor(() => presence.length > 0, 5_000);
  });
});
