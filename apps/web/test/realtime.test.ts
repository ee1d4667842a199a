// Live labelling over real socket.io with many real clients: claims, leases, broadcast, catch-up after a dropped
// connection, conflicts, undo, and who may join or emit.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { png } from "./fixtures";
import { startTestServer, type TestServer, TestUser } from "./harness";
import { call, collectEvents, connect, type LiveSocket, waitFor } from "./realtime-harness";

describe("realtime labelling (PGlite)", () => {
  let t: TestServer;
  let owner: TestUser;
  let projectId: string;
  let classes: { id: string; name: string }[];
  let imageIds: string[];
  const sockets: LiveSocket[] = [];
  const open = async (u: TestUser) => {
    const s = await connect(t.baseUrl, u.cookie);
    sockets.push(s);
    return s;
  };

  async function annotators(n: number, prefix: string): Promise<TestUser[]> {
    const users = await Promise.all(Array.from({ length: n }, (_, i) => TestUser.signUp(t.baseUrl, `${prefix}${i}@example.com`)));
    const ids = await Promise.all(users.map(async (u) => (await u.trpc.auth.me.query())!.id));
    await t.db.prisma.membership.createMany({ data: ids.map((userId) => ({ projectId, userId, role: "ANNOTATOR" as const })) });
    return users;
  }

  async function freshProject(name: string, images: number) {
    const p = await owner.trpc.projects.create.mutate({
      name,
      classes: [
        { name: "cat", hotkey: "1" },
        { name: "dog", hotkey: "2" },
      ],
    });
    const { uploadId } = await owner.trpc.uploads.start.mutate({ projectId: p.id });
    const files = await Promise.all(Array.from({ length: images }, async (_, i) => ({ path: `${name}-${i}.png`, data: await png(1000 * name.length + i) })));
    await owner.uploadFiles(uploadId, files);
    const list = await owner.trpc.images.list.query({ projectId: p.id, limit: 1000 });
    return { id: p.id, imageIds: list.items.map((i) => i.id), classes: await owner.trpc.classes.list.query({ projectId: p.id }) };
  }

  beforeAll(async () => {
    t = await startTestServer("pglite");
    owner = await TestUser.signUp(t.baseUrl, "owner@example.com");
    ({ id: projectId, imageIds, classes } = await freshProject("main", 30));
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await t?.close();
  });

  it("gives 20 clients claiming at once 20 different images", async () => {
    const users = await annotators(20, "claimer");
    const socks = await Promise.all(users.map(open));
    await Promise.all(socks.map((s) => call(s, "project:join", { projectId })));
    const claims = await Promise.all(socks.map((s) => call(s, "image:claim", { projectId })));
    const claimed = claims.map((c) => (c.ok ? c.image?.id : undefined));
    expect(claimed.every(Boolean)).toBe(true);
    expect(new Set(claimed).size).toBe(20);
    for (const s of socks) s.close();
  });

  it("releases a lease when its holder disconnects, and when it expires", async () => {
    const p = await freshProject("lease", 1);
    const { id: pid } = p;
    const [a, b] = await annotators(2, "leaser");
    // annotators() added them to the main project; add them to this one too.
    const ids = await Promise.all([a!, b!].map(async (u) => (await u.trpc.auth.me.query())!.id));
    await t.db.prisma.membership.createMany({ data: ids.map((userId) => ({ projectId: pid, userId, role: "ANNOTATOR" as const })) });
    const sa = await open(a!);
    const sb = await open(b!);
    const first = await call(sa, "image:claim", { projectId: pid });
    expect(first.image?.id).toBe(p.imageIds[0]);
    expect((await call(sb, "image:claim", { projectId: pid })).image).toBeNull();
    sa.close();
    // The release runs as the server notices the disconnect; poll briefly rather than guess a delay.
    let got: string | undefined;
    for (let i = 0; i < 50 && !got; i++) {
      got = (await call(sb, "image:claim", { projectId: pid })).image?.id;
      if (!got) await new Promise((r) => setTimeout(r, 50));
    }
    expect(got).toBe(p.imageIds[0]);

    // Expiry: the lease of a connected but idle annotator lapses after the project's lease time.
    await t.db.prisma.project.update({ where: { id: pid }, data: { leaseSeconds: 1 } });
    const sa2 = await open(a!);
    await t.db.prisma.lease.deleteMany({ where: { projectId: pid } });
    expect((await call(sa2, "image:claim", { projectId: pid })).image?.id).toBe(p.imageIds[0]);
    expect((await call(sb, "image:claim", { projectId: pid })).image).toBeNull();
    await new Promise((r) => setTimeout(r, 1_200));
    expect((await call(sb, "image:claim", { projectId: pid })).image?.id).toBe(p.imageIds[0]);
  });

  it("broadcasts labels to every client in the room, in sequence", async () => {
    const [a, b] = await annotators(2, "live");
    const sa = await open(a!);
    const sb = await open(b!);
    const joinB = await call(sb, "project:join", { projectId });
    await call(sa, "project:join", { projectId });
    const seen = collectEvents(sb);
    const r = await call(sa, "label:set", { projectId, imageId: imageIds[0], classId: classes[0]!.id, clientLabelId: randomUUID() });
    expect(r.ok).toBe(true);
    await waitFor(() => seen.length === 1, 5_000);
    expect(seen[0]).toMatchObject({ type: "label", seq: joinB.seq + 1, data: { imageId: imageIds[0], resolvedClassId: classes[0]!.id } });
    const stats = await owner.trpc.images.stats.query({ projectId });
    expect(stats.labelled).toBe(1);
  });

  it("lets a reconnecting client catch up from its last sequence number, with nothing missed", async () => {
    const [a, b] = await annotators(2, "resync");
    const sa = await open(a!);
    let sb = await open(b!);
    await call(sa, "project:join", { projectId });
    const joined = await call(sb, "project:join", { projectId });
    const lastSeen = joined.seq as number;
    sb.close();
    for (const img of imageIds.slice(1, 4)) {
      expect((await call(sa, "label:set", { projectId, imageId: img, classId: classes[1]!.id, clientLabelId: randomUUID() })).ok).toBe(true);
    }
    sb = await open(b!);
    const back = await call(sb, "project:join", { projectId, sinceSeq: lastSeen });
    expect(back.reset).toBe(false);
    expect(back.events.map((e: { seq: number }) => e.seq)).toEqual([lastSeen + 1, lastSeen + 2, lastSeen + 3]);
    expect(back.events.map((e: { data: { imageId: string } }) => e.data.imageId)).toEqual(imageIds.slice(1, 4));
  });

  it("keeps both of two simultaneous labels, resolves by rule, flags the disagreement, and undo never clobbers a teammate", async () => {
    const [a, b] = await annotators(2, "race");
    const sa = await open(a!);
    const sb = await open(b!);
    const img = imageIds[10]!;
    const [ra, rb] = await Promise.all([
      call(sa, "label:set", { projectId, imageId: img, classId: classes[0]!.id, clientLabelId: randomUUID() }),
      call(sb, "label:set", { projectId, imageId: img, classId: classes[1]!.id, clientLabelId: randomUUID() }),
    ]);
    expect(ra.ok && rb.ok).toBe(true);
    const history = await t.db.prisma.annotation.findMany({ where: { imageId: img }, orderBy: { seq: "asc" } });
    expect(history).toHaveLength(2);
    const image = await t.db.prisma.image.findUniqueOrThrow({ where: { id: img } });
    // Tie: the later vote (higher seq) wins.
    expect(image.labelClassId).toBe(history[1]!.classId);
    expect(image.disagreement).toBe(true);
    expect(image.voteCount).toBe(2);

    // Whoever voted first undoes: only their own vote is withdrawn; the teammate's later label stands.
    const firstAuthor = history[0]!.authorId;
    const undoer = firstAuthor === (await a!.trpc.auth.me.query())!.id ? sa : sb;
    const u = await call(undoer, "label:undo", { projectId });
    expect(u).toMatchObject({ ok: true, imageId: img, classId: null });
    const after = await t.db.prisma.image.findUniqueOrThrow({ where: { id: img } });
    expect(after.labelClassId).toBe(history[1]!.classId);
    expect(after.disagreement).toBe(false);
    expect(await t.db.prisma.annotation.count({ where: { imageId: img } })).toBe(3);
  });

  it("applies a retried label once", async () => {
    const [a] = await annotators(1, "retry");
    const sa = await open(a!);
    const req = { projectId, imageId: imageIds[12], classId: classes[0]!.id, clientLabelId: randomUUID() };
    const [r1, r2] = await Promise.all([call(sa, "label:set", req), call(sa, "label:set", req)]);
    expect(r1.ok && r2.ok).toBe(true);
    expect([r1.duplicate, r2.duplicate].sort()).toEqual([false, true]);
    expect(await t.db.prisma.annotation.count({ where: { clientLabelId: req.clientLabelId } })).toBe(1);
  });

  it("applies a retried bulk label once", async () => {
    const [a] = await annotators(1, "bulkretry");
    const sa = await open(a!);
    const req = { projectId, imageIds: imageIds.slice(24, 27), classId: classes[1]!.id, clientLabelId: randomUUID() };
    const first = await call(sa, "label:setMany", req);
    const again = await call(sa, "label:setMany", req);
    expect(first).toMatchObject({ ok: true, count: 3, duplicate: false });
    expect(again).toMatchObject({ ok: true, count: 3, duplicate: true, seq: first.seq });
    expect(await t.db.prisma.annotation.count({ where: { clientLabelId: { startsWith: `${req.clientLabelId}#` } } })).toBe(3);
  });

  it("gives a reconnecting annotator back the images nobody took meanwhile, and re-leases an image whose vote was undone", async () => {
    const p = await freshProject("hold", 3);
    const [a, b] = await annotators(2, "holder");
    const ids = await Promise.all([a!, b!].map(async (u) => (await u.trpc.auth.me.query())!.id));
    await t.db.prisma.membership.createMany({ data: ids.map((userId) => ({ projectId: p.id, userId, role: "ANNOTATOR" as const })) });
    const sa = await open(a!);
    const sb = await open(b!);
    const mine = [(await call(sa, "image:claim", { projectId: p.id })).image.id, (await call(sa, "image:claim", { projectId: p.id })).image.id];
    expect(mine).toEqual(p.imageIds.slice(0, 2));
    sa.close();
    // A's connection dropped, its leases were released, and B took the first of those images.
    let taken: string | undefined;
    for (let i = 0; i < 50 && taken !== p.imageIds[0]; i++) {
      taken = (await call(sb, "image:claim", { projectId: p.id })).image?.id;
      if (taken !== p.imageIds[0]) {
        if (taken) await call(sb, "image:release", { projectId: p.id, imageId: taken });
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    expect(taken).toBe(p.imageIds[0]);
    const sa2 = await open(a!);
    expect(await call(sa2, "image:hold", { projectId: p.id, imageIds: mine })).toMatchObject({ ok: true, held: [p.imageIds[1]] });
    // Held again: B is handed the third image, not A's.
    expect((await call(sb, "image:claim", { projectId: p.id })).image?.id).toBe(p.imageIds[2]);

    // A labels the held image and undoes it: the image comes back to A, leased, so B cannot be handed it.
    await call(sb, "image:release", { projectId: p.id, imageId: p.imageIds[2] });
    expect((await call(sa2, "label:set", { projectId: p.id, imageId: p.imageIds[1], classId: p.classes[0]!.id, clientLabelId: randomUUID() })).ok).toBe(true);
    expect(await call(sa2, "label:undo", { projectId: p.id })).toMatchObject({ ok: true, imageId: p.imageIds[1], classId: null });
    expect(await t.db.prisma.lease.count({ where: { imageId: p.imageIds[1], userId: ids[0] } })).toBe(1);
    expect((await call(sb, "image:claim", { projectId: p.id })).image?.id).toBe(p.imageIds[2]);
    // Not a member: no hold.
    const outsider = await open(await TestUser.signUp(t.baseUrl, "holdout@example.com"));
    expect(await call(outsider, "image:hold", { projectId: p.id, imageIds: [p.imageIds[2]] })).toMatchObject({ ok: false, code: "not_found" });
  });

  it("hands one image to k annotators when the project asks for overlap", async () => {
    const p = await freshProject("overlap", 3);
    await t.db.prisma.project.update({ where: { id: p.id }, data: { annotatorsPerImage: 2 } });
    const users = await annotators(3, "overlap");
    const ids = await Promise.all(users.map(async (u) => (await u.trpc.auth.me.query())!.id));
    await t.db.prisma.membership.createMany({ data: ids.map((userId) => ({ projectId: p.id, userId, role: "ANNOTATOR" as const })) });
    const socks = await Promise.all(users.map(open));
    const got = [];
    for (const s of socks) got.push((await call(s, "image:claim", { projectId: p.id })).image?.id);
    expect(got[0]).toBe(p.imageIds[0]);
    expect(got[1]).toBe(p.imageIds[0]);
    expect(got[2]).toBe(p.imageIds[1]);
  });

  it("keeps non-members and signed-out clients out of rooms and writes; malformed events change nothing", async () => {
    const outsider = await TestUser.signUp(t.baseUrl, "stranger@example.com");
    const so = await open(outsider);
    const heard = collectEvents(so);
    expect(await call(so, "project:join", { projectId })).toMatchObject({ ok: false, code: "not_found" });
    expect(await call(so, "label:set", { projectId, imageId: imageIds[20], classId: classes[0]!.id, clientLabelId: randomUUID() })).toMatchObject({ ok: false, code: "not_found" });
    expect(await call(so, "image:claim", { projectId })).toMatchObject({ ok: false, code: "not_found" });
    expect(await call(so, "label:undo", { projectId })).toMatchObject({ ok: false });

    const [a] = await annotators(1, "member");
    const sa = await open(a!);
    await call(sa, "project:join", { projectId });
    await call(sa, "label:set", { projectId, imageId: imageIds[21], classId: classes[0]!.id, clientLabelId: randomUUID() });
    await new Promise((r) => setTimeout(r, 200));
    expect(heard).toHaveLength(0);

    const before = await t.db.prisma.annotation.count();
    for (const bad of [
      null,
      "text",
      { projectId },
      { projectId, imageId: "nope", classId: null, clientLabelId: randomUUID() },
      { projectId, imageId: imageIds[22], classId: randomUUID(), clientLabelId: randomUUID() },
      { projectId, imageId: randomUUID(), classId: classes[0]!.id, clientLabelId: randomUUID() },
    ]) {
      const r = await call(sa, "label:set", bad);
      expect(r.ok).toBe(false);
      expect(r.error.length).toBeGreaterThan(5);
    }
    expect(await t.db.prisma.annotation.count()).toBe(before);

    await expect(connect(t.baseUrl, "")).rejects.toThrow(/unauthenticated/);
    await expect(connect(t.baseUrl, "fewlabel_session=forged")).rejects.toThrow(/unauthenticated/);
    await expect(connect(t.baseUrl, a!.cookie, { origin: "https://evil.example" })).rejects.toThrow();
  });
  it("stops a removed member's open connection hearing the project at once, and closes a signed-out session's", async () => {
    const [removed, signedOut] = await annotators(2, "leaver");
    const [sr, ss] = await Promise.all([open(removed!), open(signedOut!)]);
    const heardByRemoved = collectEvents(sr);
    expect(await call(sr, "project:join", { projectId })).toMatchObject({ ok: true });
    expect(await call(ss, "project:join", { projectId })).toMatchObject({ ok: true });
    const removedId = (await removed!.trpc.auth.me.query())!.id;
    await owner.trpc.members.remove.mutate({ projectId, userId: removedId });
    // Within the access cache's lifetime: the removal itself takes the socket out of the room.
    const so = await open(owner);
    await call(so, "project:join", { projectId });
    await call(so, "label:set", { projectId, imageId: imageIds[25], classId: classes[1]!.id, clientLabelId: randomUUID() });
    await new Promise((r) => setTimeout(r, 300));
    expect(heardByRemoved).toHaveLength(0);
    expect(await call(sr, "project:join", { projectId })).toMatchObject({ ok: false, code: "not_found" });

    const closed = new Promise<string>((resolve) => ss.once("disconnect", (reason) => resolve(reason)));
    await signedOut!.trpc.auth.signOut.mutate();
    expect(await closed).toBe("io server disconnect");
  });
  it("limits the connections one account may hold open", async () => {
    const { MAX_SOCKETS_PER_USER } = await import("../src/server/realtime");
    const [greedy] = await annotators(1, "greedy");
    const held: LiveSocket[] = [];
    for (let i = 0; i < MAX_SOCKETS_PER_USER; i++) held.push(await open(greedy!));
    await expect(connect(t.baseUrl, greedy!.cookie)).rejects.toThrow(/too many connections/);
    expect(await call(held[0]!, "project:join", { projectId })).toMatchObject({ ok: true }); // the open ones still work
    held[1]!.close();
    await waitFor(() => !held[1]!.connected);
    await new Promise((r) => setTimeout(r, 100));
    held.push(await open(greedy!)); // a closed tab frees its place
    for (const s of held) s.close();
  });
});
