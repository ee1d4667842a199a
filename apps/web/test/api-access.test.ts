// Authorization from the outside, over real HTTP: who can reach what. Runs on PGlite and on the local PostgreSQL.
import { testDatabaseKinds } from "@fewlabel/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { png } from "./fixtures";
import { startTestServer, type TestServer, TestUser, trpcErrorCode } from "./harness";

describe.each(testDatabaseKinds)("access control on %s", (kind) => {
  let t: TestServer;
  let owner: TestUser;
  let outsider: TestUser;
  let annotator: TestUser;
  let anonymous: TestUser;
  let projectId: string;
  let imageId: string;
  let uploadId: string;

  beforeAll(async () => {
    t = await startTestServer(kind);
    owner = await TestUser.signUp(t.baseUrl, "owner@example.com");
    outsider = await TestUser.signUp(t.baseUrl, "outsider@example.com");
    annotator = await TestUser.signUp(t.baseUrl, "annotator@example.com");
    anonymous = new TestUser(t.baseUrl);
    ({ id: projectId } = await owner.trpc.projects.create.mutate({ name: "Secret", classes: [{ name: "cat", hotkey: "1" }] }));
    ({ uploadId } = await owner.trpc.uploads.start.mutate({ projectId }));
    const up = await owner.uploadFiles(uploadId, [{ path: "a.png", data: await png(1) }]);
    expect(up.body).toMatchObject({ type: "done", accepted: 1 });
    const list = await owner.trpc.images.list.query({ projectId });
    imageId = list.items[0]!.id;
    const invite = await owner.trpc.invites.create.mutate({ projectId, role: "ANNOTATOR" });
    await annotator.trpc.invites.accept.mutate({ token: invite.token });
  });
  afterAll(() => t?.close());

  it("makes the first account the instance admin, and only that one", async () => {
    expect(await owner.trpc.auth.me.query()).toMatchObject({ email: "owner@example.com", isAdmin: true });
    expect(await outsider.trpc.auth.me.query()).toMatchObject({ isAdmin: false });
    expect(await anonymous.trpc.auth.me.query()).toBeNull();
  });

  it("hides a project from non-members everywhere", async () => {
    expect(await outsider.trpc.projects.list.query()).toEqual([]);
    expect(await trpcErrorCode(outsider.trpc.projects.get.query({ projectId }))).toBe("NOT_FOUND");
    expect(await trpcErrorCode(outsider.trpc.images.list.query({ projectId }))).toBe("NOT_FOUND");
    expect(await trpcErrorCode(outsider.trpc.images.get.query({ projectId, imageId }))).toBe("NOT_FOUND");
    expect(await trpcErrorCode(outsider.trpc.images.stats.query({ projectId }))).toBe("NOT_FOUND");
    expect(await trpcErrorCode(outsider.trpc.classes.list.query({ projectId }))).toBe("NOT_FOUND");
    expect(await trpcErrorCode(outsider.trpc.uploads.start.mutate({ projectId }))).toBe("NOT_FOUND");
    expect(await trpcErrorCode(outsider.trpc.projects.update.mutate({ projectId, name: "Mine" }))).toBe("NOT_FOUND");
    expect(await trpcErrorCode(outsider.trpc.projects.delete.mutate({ projectId, confirmName: "Secret" }))).toBe("NOT_FOUND");
    expect(await trpcErrorCode(outsider.trpc.classes.create.mutate({ projectId, name: "dog", color: "#000000" }))).toBe("NOT_FOUND");
    expect(await trpcErrorCode(outsider.trpc.members.list.query({ projectId }))).toBe("NOT_FOUND");
    for (const variant of ["thumbnail", "original", "training"]) {
      const res = await outsider.fetch(`/api/images/${imageId}/${variant}`);
      expect(res.status, variant).toBe(404);
      expect(res.headers.get("content-type")).toContain("application/json");
    }
    expect((await outsider.fetch(`/api/projects/${projectId}/export?format=csv`)).status).toBe(404);
    expect((await outsider.fetch(`/api/projects/${projectId}/export?format=zip`)).status).toBe(404);
    // Uploading into someone else's upload session by id.
    expect((await outsider.uploadFiles(uploadId, [{ path: "x.png", data: await png(2) }])).status).toBe(404);
    expect(await owner.trpc.images.stats.query({ projectId })).toMatchObject({ total: 1 });
    expect((await owner.trpc.projects.get.query({ projectId })).name).toBe("Secret");
  });

  it("lets an annotator read and label-side work but not change classes, members or the project", async () => {
    expect((await annotator.trpc.projects.get.query({ projectId })).role).toBe("ANNOTATOR");
    expect((await annotator.trpc.images.list.query({ projectId })).total).toBe(1);
    expect((await annotator.fetch(`/api/images/${imageId}/thumbnail`)).status).toBe(200);
    expect((await annotator.fetch(`/api/projects/${projectId}/export?format=csv`)).status).toBe(200);
    const cls = (await annotator.trpc.classes.list.query({ projectId }))[0]!;
    expect(await trpcErrorCode(annotator.trpc.classes.create.mutate({ projectId, name: "dog", color: "#000000" }))).toBe("FORBIDDEN");
    expect(await trpcErrorCode(annotator.trpc.classes.update.mutate({ projectId, classId: cls.id, name: "kitten" }))).toBe("FORBIDDEN");
    expect(await trpcErrorCode(annotator.trpc.classes.delete.mutate({ projectId, classId: cls.id }))).toBe("FORBIDDEN");
    const me = (await annotator.trpc.auth.me.query())!;
    expect(await trpcErrorCode(annotator.trpc.members.setRole.mutate({ projectId, userId: me.id, role: "OWNER" }))).toBe("FORBIDDEN");
    const ownerId = (await owner.trpc.auth.me.query())!.id;
    expect(await trpcErrorCode(annotator.trpc.members.remove.mutate({ projectId, userId: ownerId }))).toBe("FORBIDDEN");
    expect(await trpcErrorCode(annotator.trpc.invites.create.mutate({ projectId, role: "OWNER" }))).toBe("FORBIDDEN");
    expect(await trpcErrorCode(annotator.trpc.uploads.start.mutate({ projectId }))).toBe("FORBIDDEN");
    expect((await annotator.uploadFiles(uploadId, [{ path: "x.png", data: await png(3) }])).status).toBe(403);
    expect(await trpcErrorCode(annotator.trpc.projects.update.mutate({ projectId, name: "Mine" }))).toBe("FORBIDDEN");
    expect((await owner.trpc.classes.list.query({ projectId })).map((c) => c.name)).toEqual(["cat"]);
  });

  it("answers 401 to signed-out requests", async () => {
    expect(await trpcErrorCode(anonymous.trpc.projects.list.query())).toBe("UNAUTHORIZED");
    expect(await trpcErrorCode(anonymous.trpc.projects.get.query({ projectId }))).toBe("UNAUTHORIZED");
    expect(await trpcErrorCode(anonymous.trpc.projects.create.mutate({ name: "x" }))).toBe("UNAUTHORIZED");
    expect(await trpcErrorCode(anonymous.trpc.uploads.start.mutate({ projectId }))).toBe("UNAUTHORIZED");
    expect((await anonymous.fetch(`/api/images/${imageId}/thumbnail`)).status).toBe(401);
    expect((await anonymous.fetch(`/api/projects/${projectId}/export?format=csv`)).status).toBe(401);
    expect((await anonymous.uploadFiles(uploadId, [{ path: "x.png", data: await png(4) }])).status).toBe(401);
  });

  it("refuses cross-site writes even with a valid session cookie", async () => {
    const res = await owner.fetch("/api/trpc/projects.create", {
      method: "POST",
      headers: { "content-type": "application/json", origin: "https://evil.example" },
      body: JSON.stringify({ json: { name: "csrf" } }),
    });
    expect(res.status).toBe(403);
    const form = await owner.fetch(`/api/uploads/${uploadId}/files`, { method: "POST", headers: { "sec-fetch-site": "cross-site" }, body: new FormData() });
    expect(form.status).toBe(403);
    expect((await owner.trpc.projects.list.query()).map((p) => p.name)).toEqual(["Secret"]);
  });

  it("signs in and out with real sessions", async () => {
    const again = new TestUser(t.baseUrl);
    expect(await trpcErrorCode(again.trpc.auth.signIn.mutate({ email: "owner@example.com", password: "wrong password" }))).toBe("UNAUTHORIZED");
    await again.trpc.auth.signIn.mutate({ email: "OWNER@example.com", password: "correct horse battery" });
    expect(again.cookie).toMatch(/^fewlabel_session=/);
    const stolen = again.cookie;
    await again.trpc.auth.signOut.mutate();
    expect(again.cookie).toBe("");
    const replay = new TestUser(t.baseUrl);
    replay.cookie = stolen;
    expect(await replay.trpc.auth.me.query()).toBeNull();
    expect(await trpcErrorCode(TestUser.signUp(t.baseUrl, "owner@example.com"))).toBe("CONFLICT");
  });

  it("lets the owner rename the project and set its labelling options", async () => {
    const updated = await owner.trpc.projects.update.mutate({ projectId, name: "Secret 2", annotatorsPerImage: 2, leaseSeconds: 300 });
    expect(updated).toMatchObject({ name: "Secret 2", annotatorsPerImage: 2, leaseSeconds: 300 });
    expect(await trpcErrorCode(owner.trpc.projects.update.mutate({ projectId, leaseSeconds: 1 }))).toBe("BAD_REQUEST");
    await owner.trpc.projects.update.mutate({ projectId, name: "Secret", annotatorsPerImage: 1, leaseSeconds: 120 });
    expect((await annotator.trpc.projects.get.query({ projectId })).name).toBe("Secret");
  });

  it("rejects malformed calls with a clear error and changes nothing", async () => {
    expect(await trpcErrorCode(owner.trpc.projects.get.query({ projectId: "not-a-uuid" }))).toBe("BAD_REQUEST");
    expect(await trpcErrorCode(owner.trpc.classes.create.mutate({ projectId, name: "bad", color: "red" }))).toBe("BAD_REQUEST");
    expect(await trpcErrorCode(owner.trpc.classes.create.mutate({ projectId, name: "cat", color: "#ff0000" }))).toBe("CONFLICT");
    expect(await trpcErrorCode(owner.trpc.classes.create.mutate({ projectId, name: "other", color: "#ff0000", hotkey: "1" }))).toBe("CONFLICT");
    const raw = await owner.fetch("/api/trpc/projects.create", { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    expect(raw.status).toBeGreaterThanOrEqual(400);
    expect(raw.status).toBeLessThan(500);
    const ownerId = (await owner.trpc.auth.me.query())!.id;
    expect(await trpcErrorCode(owner.trpc.members.setRole.mutate({ projectId, userId: ownerId, role: "ANNOTATOR" }))).toBe("BAD_REQUEST");
    expect((await owner.trpc.classes.list.query({ projectId })).map((c) => c.name)).toEqual(["cat"]);
  });
});
