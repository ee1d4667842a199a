// Authorization from the outside, over real HTTP: who can reach what. Runs on PGlite and on the local PostgreSQL.
import { SIGN_IN_LIMITS } from "@fewlabel/api";
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

  let freshInstall: unknown;

  beforeAll(async () => {
    t = await startTestServer(kind);
    freshInstall = await new TestUser(t.baseUrl).trpc.auth.signUpInfo.query();
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
    // The sign-up page says so to the first visitor only.
    expect(freshInstall).toEqual({ firstAccount: true });
    expect(await anonymous.trpc.auth.signUpInfo.query()).toEqual({ firstAccount: false });
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

  it("keeps a removed member out of the links made before the removal, and lets a new invite bring them back", async () => {
    const removed = await TestUser.signUp(t.baseUrl, "removed@example.com");
    const link = await owner.trpc.invites.create.mutate({ projectId, role: "ANNOTATOR" }); // multi-use
    await removed.trpc.invites.accept.mutate({ token: link.token });
    const removedId = (await removed.trpc.auth.me.query())!.id;
    await owner.trpc.members.remove.mutate({ projectId, userId: removedId });
    expect(await trpcErrorCode(removed.trpc.projects.get.query({ projectId }))).toBe("NOT_FOUND");
    expect(await trpcErrorCode(removed.trpc.invites.accept.mutate({ token: link.token }))).toBe("FORBIDDEN");
    expect(await trpcErrorCode(removed.trpc.projects.get.query({ projectId }))).toBe("NOT_FOUND");
    // Others still join through the same link; a link made after the removal lets the removed person back.
    const other = await TestUser.signUp(t.baseUrl, "other-joiner@example.com");
    await other.trpc.invites.accept.mutate({ token: link.token });
    const again = await owner.trpc.invites.create.mutate({ projectId, role: "ANNOTATOR", maxUses: 1 });
    await removed.trpc.invites.accept.mutate({ token: again.token });
    expect((await removed.trpc.projects.get.query({ projectId })).role).toBe("ANNOTATOR");
    for (const u of [removed, other]) await owner.trpc.members.remove.mutate({ projectId, userId: (await u.trpc.auth.me.query())!.id });
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

  it("refuses NUL characters in any input as a bad request, not a database error", async () => {
    expect(await trpcErrorCode(owner.trpc.projects.create.mutate({ name: "a\u0000b" }))).toBe("BAD_REQUEST");
    expect(await trpcErrorCode(owner.trpc.images.list.query({ projectId, filter: { status: "all", classId: null, search: "x\u0000" } }))).toBe("BAD_REQUEST");
    expect(await trpcErrorCode(TestUser.signUp(t.baseUrl, "nul\u0000@example.com"))).toBe("BAD_REQUEST");
    expect((await owner.trpc.projects.list.query()).map((p) => p.name)).toEqual(["Secret"]);
  });

  it("sends security headers with every answer", async () => {
    const res = await anonymous.fetch("/api/trpc/auth.me");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toMatch(/default-src 'self'.*frame-ancestors 'none'/);
    // Scripts run only with this response's nonce (no 'unsafe-inline'), and the nonce is new every time.
    const scripts = csp.split(";").find((d) => d.trim().startsWith("script-src"))!;
    expect(scripts).toMatch(/'nonce-[A-Za-z0-9+/=]{16,}' 'strict-dynamic'/);
    expect(scripts).not.toContain("unsafe-inline");
    expect((await anonymous.fetch("/api/trpc/auth.me")).headers.get("content-security-policy")).not.toBe(csp);
    expect(res.headers.get("permissions-policy")).toContain("camera=()");
    expect(res.headers.get("strict-transport-security")).toBeNull(); // plain http here
    const proxied = await anonymous.fetch("/api/trpc/auth.me", { headers: { "x-forwarded-proto": "https" } });
    expect(proxied.headers.get("strict-transport-security")).toMatch(/max-age=\d+/);
    // A batched request carries at most 50 calls.
    const batch = (n: number) => anonymous.fetch(`/api/trpc/${Array(n).fill("auth.me").join(",")}?batch=1`);
    expect((await batch(50)).status).toBe(200);
    expect((await batch(51)).status).toBe(400);
  });

  it("treats a malformed session cookie as no session, over HTTP and on the live socket", async () => {
    const garbled = new TestUser(t.baseUrl);
    garbled.cookie = "fewlabel_session=%E0%A4%A";
    expect(await garbled.trpc.auth.me.query()).toBeNull();
    expect((await garbled.fetch(`/api/images/${imageId}/thumbnail`)).status).toBe(401);
    const { connect } = await import("./realtime-harness");
    await expect(connect(t.baseUrl, garbled.cookie)).rejects.toThrow(/unauthenticated/);
  });

  it("lists a person's sessions, changes the password (ending the others), ends one session, or all", async () => {
    await TestUser.signUp(t.baseUrl, "mover@example.com");
    const signIn = async (password = "correct horse battery") => {
      const u = new TestUser(t.baseUrl);
      await u.trpc.auth.signIn.mutate({ email: "mover@example.com", password });
      return u;
    };
    const [laptop, phone] = [await signIn(), await signIn()];
    const seen = await laptop.trpc.auth.sessions.query();
    expect(seen.filter((x) => x.current)).toHaveLength(1);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(await trpcErrorCode(laptop.trpc.auth.changePassword.mutate({ currentPassword: "wrong password", newPassword: "a new long password" }))).toBe("UNAUTHORIZED");
    expect(await trpcErrorCode(laptop.trpc.auth.changePassword.mutate({ currentPassword: "correct horse battery", newPassword: "short" }))).toBe("BAD_REQUEST");
    const changed = await laptop.trpc.auth.changePassword.mutate({ currentPassword: "correct horse battery", newPassword: "a new long password" });
    expect(changed.otherSessionsEnded).toBeGreaterThanOrEqual(2); // the phone and the sign-up's session
    expect(await phone.trpc.auth.me.query()).toBeNull();
    expect((await laptop.trpc.auth.me.query())?.email).toBe("mover@example.com");
    expect(await trpcErrorCode(signIn())).toBe("UNAUTHORIZED");

    const tablet = await signIn("a new long password");
    const tabletSession = (await tablet.trpc.auth.sessions.query()).find((x) => x.current)!;
    // Someone else's session cannot be ended by id.
    expect(await trpcErrorCode(owner.trpc.auth.endSession.mutate({ sessionId: tabletSession.id }))).toBe("NOT_FOUND");
    await laptop.trpc.auth.endSession.mutate({ sessionId: tabletSession.id });
    expect(await tablet.trpc.auth.me.query()).toBeNull();
    expect((await laptop.trpc.auth.sessions.query()).map((x) => x.current)).toEqual([true]);

    const again = await signIn("a new long password");
    expect((await laptop.trpc.auth.signOutEverywhere.mutate()).ended).toBe(2);
    expect(await laptop.trpc.auth.me.query()).toBeNull();
    expect(await again.trpc.auth.me.query()).toBeNull();
    expect(await trpcErrorCode(anonymous.trpc.auth.sessions.query())).toBe("UNAUTHORIZED");
  });

  it("lets the instance admin, and only the admin, choose who may sign up, disable an account and lift a sign-in lock", async () => {
    expect(await trpcErrorCode(outsider.trpc.admin.users.query())).toBe("FORBIDDEN");
    expect(await trpcErrorCode(outsider.trpc.admin.setSignUpPolicy.mutate({ signUpPolicy: "closed" }))).toBe("FORBIDDEN");
    expect(await trpcErrorCode(anonymous.trpc.admin.settings.query())).toBe("UNAUTHORIZED");
    expect(await owner.trpc.admin.settings.query()).toEqual({ signUpPolicy: "open" });
    try {
      await owner.trpc.admin.setSignUpPolicy.mutate({ signUpPolicy: "closed" });
      expect(await trpcErrorCode(TestUser.signUp(t.baseUrl, "late@example.com"))).toBe("FORBIDDEN");
      await owner.trpc.admin.setSignUpPolicy.mutate({ signUpPolicy: "invite-only" });
      expect(await trpcErrorCode(TestUser.signUp(t.baseUrl, "late@example.com"))).toBe("FORBIDDEN");
      const invite = await owner.trpc.invites.create.mutate({ projectId, role: "ANNOTATOR", maxUses: 1 });
      const late = new TestUser(t.baseUrl);
      expect(await trpcErrorCode(late.trpc.auth.signUp.mutate({ email: "late@example.com", name: "Late", password: "correct horse battery", inviteToken: "not-a-token" }))).toBe("NOT_FOUND");
      await late.trpc.auth.signUp.mutate({ email: "late@example.com", name: "Late", password: "correct horse battery", inviteToken: invite.token });
      await late.trpc.invites.accept.mutate({ token: invite.token });
      expect((await late.trpc.projects.get.query({ projectId })).role).toBe("ANNOTATOR");
      await owner.trpc.members.remove.mutate({ projectId, userId: (await late.trpc.auth.me.query())!.id });
    } finally {
      await owner.trpc.admin.setSignUpPolicy.mutate({ signUpPolicy: "open" });
    }

    // Disabling ends the account's sessions and open sockets at once; it cannot sign in until enabled again.
    const target = await TestUser.signUp(t.baseUrl, "target@example.com");
    const targetId = (await target.trpc.auth.me.query())!.id;
    const { connect } = await import("./realtime-harness");
    const live = await connect(t.baseUrl, target.cookie);
    const closed = new Promise<string>((resolve) => live.once("disconnect", (reason) => resolve(reason)));
    expect(await trpcErrorCode(owner.trpc.admin.setDisabled.mutate({ userId: (await owner.trpc.auth.me.query())!.id, disabled: true }))).toBe("BAD_REQUEST");
    expect(await owner.trpc.admin.setDisabled.mutate({ userId: targetId, disabled: true })).toMatchObject({ sessionsEnded: 1 });
    expect(await closed).toBe("io server disconnect");
    expect(await target.trpc.auth.me.query()).toBeNull();
    const retry = new TestUser(t.baseUrl);
    expect(await trpcErrorCode(retry.trpc.auth.signIn.mutate({ email: "target@example.com", password: "correct horse battery" }))).toBe("FORBIDDEN");
    expect((await owner.trpc.admin.users.query()).find((u) => u.id === targetId)?.disabledAt).not.toBeNull();
    expect((await owner.trpc.admin.users.query()).find((u) => u.email === "annotator@example.com")?.projects).toEqual([{ id: projectId, name: "Secret", role: "ANNOTATOR" }]);
    await owner.trpc.admin.setDisabled.mutate({ userId: targetId, disabled: false });
    await retry.trpc.auth.signIn.mutate({ email: "target@example.com", password: "correct horse battery" });
    expect((await retry.trpc.auth.me.query())?.email).toBe("target@example.com");

    // Someone else's wrong guesses locked the account; the admin lifts the lock.
    const guesser = new TestUser(t.baseUrl);
    for (let i = 0; i < SIGN_IN_LIMITS.perAccount.attempts; i++) await trpcErrorCode(guesser.trpc.auth.signIn.mutate({ email: "target@example.com", password: "a wrong guess" }));
    expect(await trpcErrorCode(new TestUser(t.baseUrl).trpc.auth.signIn.mutate({ email: "target@example.com", password: "correct horse battery" }))).toBe("TOO_MANY_REQUESTS");
    expect((await owner.trpc.admin.users.query()).find((u) => u.id === targetId)).toMatchObject({ signInLocked: true });
    await owner.trpc.admin.liftSignInLock.mutate({ userId: targetId });
    expect((await owner.trpc.admin.users.query()).find((u) => u.id === targetId)).toMatchObject({ signInLocked: false });
    expect(await trpcErrorCode(new TestUser(t.baseUrl).trpc.auth.signIn.mutate({ email: "target@example.com", password: "correct horse battery" }))).toBe("OK");

    // A one-time reset link: it names the account, sets a password once, and ends every session.
    expect(await trpcErrorCode(outsider.trpc.admin.createPasswordReset.mutate({ userId: targetId }))).toBe("FORBIDDEN");
    const { path } = await owner.trpc.admin.createPasswordReset.mutate({ userId: targetId });
    const token = path.split("/").pop()!;
    expect(await anonymous.trpc.auth.resetInfo.query({ token })).toEqual({ email: "target@example.com" });
    expect(await trpcErrorCode(anonymous.trpc.auth.resetPassword.mutate({ token, newPassword: "short" }))).toBe("BAD_REQUEST");
    await anonymous.trpc.auth.resetPassword.mutate({ token, newPassword: "a reset long password" });
    expect(await retry.trpc.auth.me.query()).toBeNull();
    expect(await trpcErrorCode(anonymous.trpc.auth.resetPassword.mutate({ token, newPassword: "another long password" }))).toBe("NOT_FOUND");
    expect(await trpcErrorCode(anonymous.trpc.auth.resetInfo.query({ token: "not-a-token" }))).toBe("NOT_FOUND");
    expect(await trpcErrorCode(new TestUser(t.baseUrl).trpc.auth.signIn.mutate({ email: "target@example.com", password: "correct horse battery" }))).toBe("UNAUTHORIZED");
    expect(await trpcErrorCode(new TestUser(t.baseUrl).trpc.auth.signIn.mutate({ email: "target@example.com", password: "a reset long password" }))).toBe("OK");
  });

  it("closes a request whose body never finishes, and the connection of a body refused before it was read", async () => {
    const { requestLimits } = await import("../src/server/create-server");
    const net = await import("node:net");
    const { port } = new URL(t.baseUrl);
    const halfSent = async (head: string) => {
      const socket = net.connect(Number(port), "127.0.0.1");
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      let answer = "";
      socket.on("data", (d) => (answer += d.toString()));
      const closed = new Promise<number>((resolve) => {
        const started = Date.now();
        socket.once("close", () => resolve(Date.now() - started));
      });
      socket.write(head);
      return { closed, answer: () => answer };
    };
    const saved = requestLimits.requestMs;
    requestLimits.requestMs = 500;
    try {
      // A tRPC call that promises 1,000 bytes and sends 10: cut off with 408 once the request's time is up.
      const slow = await halfSent('POST /api/trpc/projects.create HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"json":{"');
      expect(await slow.closed).toBeLessThan(5_000);
      expect(slow.answer()).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      requestLimits.requestMs = saved;
    }
    // An unauthenticated upload that declares 1 GB: answered 401 and the connection closed, not drained.
    const refused = await halfSent(`POST /api/uploads/${uploadId}/files HTTP/1.1\r\nhost: x\r\ncontent-type: multipart/form-data; boundary=b\r\ncontent-length: ${2 ** 30}\r\n\r\n--b\r\n`);
    expect(await refused.closed).toBeLessThan(5_000);
    expect(refused.answer()).toMatch(/^HTTP\/1\.1 401/);
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
