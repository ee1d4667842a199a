// The trainer's word on what it does for a project (`trainer.reportActivity`, shown by `training.status` and the
// `training.activity` event), from the outside over real HTTP: only the project's trainer holding the live lease may
// say it, members read it, outsiders do not, and people see it only while the trainer that said it holds the lease.
import { testDatabaseKinds } from "@fewlabel/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer, TestUser, trpcErrorCode } from "@fewlabel/web/testing";
import { call, collectEvents, connect, waitFor } from "@fewlabel/web/testing/realtime";
import { createTrainerApi, type TrainerApi, trpcCode } from "../src/api-client";

async function errorOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (err) {
    return trpcCode(err) ?? String(err);
  }
}

const stranger = "00000000-0000-4000-8000-000000000000";
const upToDate = { kind: "upToDate", reason: "nothing is due" } as const;
const pretrainFurther = { kind: "pretrainFurther", reason: "nothing else is due: the encoder keeps learning from the images" } as const;

describe.each(testDatabaseKinds)("trainer activity on %s", (kind) => {
  let t: TestServer;
  let owner: TestUser, annotator: TestUser, outsider: TestUser;
  let projectId: string;
  let tokenId: string;
  let trainer: TrainerApi, otherTrainer: TrainerApi, anonymousTrainer: TrainerApi;
  let leaseId: string;

  beforeAll(async () => {
    t = await startTestServer(kind);
    owner = await TestUser.signUp(t.baseUrl, "owner@example.com");
    annotator = await TestUser.signUp(t.baseUrl, "annotator@example.com");
    outsider = await TestUser.signUp(t.baseUrl, "outsider@example.com");
    ({ id: projectId } = await owner.trpc.projects.create.mutate({ name: "Shoes", classes: [{ name: "boot", hotkey: "1" }] }));
    const { id: otherProjectId } = await owner.trpc.projects.create.mutate({ name: "Other", classes: [{ name: "x", hotkey: "1" }] });
    const invite = await owner.trpc.invites.create.mutate({ projectId, role: "ANNOTATOR" });
    await annotator.trpc.invites.accept.mutate({ token: invite.token });
    const created = await owner.trpc.training.createToken.mutate({ projectId, name: "gpu box" });
    tokenId = created.id;
    trainer = createTrainerApi(t.baseUrl, created.token);
    otherTrainer = createTrainerApi(t.baseUrl, (await owner.trpc.training.createToken.mutate({ projectId: otherProjectId, name: "other" })).token);
    anonymousTrainer = createTrainerApi(t.baseUrl, "flt_not-a-real-token-at-all-000000000000");
    const claimed = await trainer.trpc.claimLease.mutate({ projectId, holder: "trainer-a" });
    if (!claimed.ok) throw new Error("lease not claimed");
    leaseId = claimed.leaseId;
  });
  afterAll(() => t?.close());

  it("takes the word of the project's trainer holding the lease only", async () => {
    expect(await errorOf(trainer.trpc.reportActivity.mutate({ projectId, leaseId: stranger, activity: upToDate }))).toBe("CONFLICT");
    // Another project's token gets no further than not finding the project, even with the right lease id.
    expect(await errorOf(otherTrainer.trpc.reportActivity.mutate({ projectId, leaseId, activity: upToDate }))).toBe("NOT_FOUND");
    expect(await errorOf(anonymousTrainer.trpc.reportActivity.mutate({ projectId, leaseId, activity: upToDate }))).toBe("UNAUTHORIZED");
    // A person's session is not a trainer, owner or not.
    expect(await trpcErrorCode(owner.trpc.trainer.reportActivity.mutate({ projectId, leaseId, activity: upToDate }))).toBe("UNAUTHORIZED");
    expect(await errorOf(trainer.trpc.reportActivity.mutate({ projectId, leaseId, activity: { kind: "dancing", reason: "x" } as never }))).toBe("BAD_REQUEST");
    expect(await errorOf(trainer.trpc.reportActivity.mutate({ projectId, leaseId, activity: { kind: "wait", reason: "x".repeat(501) } }))).toBe("BAD_REQUEST");
    // Nothing refused was stored.
    expect((await owner.trpc.training.status.query({ projectId })).activity).toBeNull();
  });

  it("shows the lease holder's word to members, live and numbered, and not to outsiders", async () => {
    const live = await connect(t.baseUrl, annotator.cookie);
    const events = collectEvents(live);
    const joined = await call(live, "project:join", { projectId });
    expect(joined).toMatchObject({ ok: true });
    expect(await trainer.trpc.reportActivity.mutate({ projectId, leaseId, activity: pretrainFurther })).toEqual({ ok: true });
    const status = await annotator.trpc.training.status.query({ projectId });
    expect(status.activity).toMatchObject(pretrainFurther);
    expect(status.activity!.at).toBeInstanceOf(Date);
    // People see who holds the lease, never the lease id a trainer writes with.
    expect(JSON.stringify(status.trainer)).not.toContain(leaseId);
    await waitFor(() => events.some((e) => e.type === "training.activity"));
    const event = events.find((e) => e.type === "training.activity")!;
    expect(event).toMatchObject({ data: pretrainFurther, actor: { name: "gpu box" } });
    expect(event.seq).toBeGreaterThan(joined.seq);
    // A browser that reconnects gets it replayed.
    const replay = await call(live, "project:join", { projectId, sinceSeq: joined.seq });
    expect(replay.events.map((e: { type: string }) => e.type)).toEqual(["training.activity"]);
    live.close();
    expect(await trpcErrorCode(outsider.trpc.training.status.query({ projectId }))).toBe("NOT_FOUND");
  });

  it("shows nothing once that trainer let the lease go, until the next holder says something", async () => {
    await trainer.trpc.reportActivity.mutate({ projectId, leaseId, activity: upToDate });
    expect((await owner.trpc.training.status.query({ projectId })).activity).toMatchObject(upToDate);
    expect(await trainer.trpc.releaseLease.mutate({ projectId, leaseId })).toEqual({ released: true });
    expect(await errorOf(trainer.trpc.reportActivity.mutate({ projectId, leaseId, activity: upToDate }))).toBe("CONFLICT");
    expect((await owner.trpc.training.status.query({ projectId })).activity).toBeNull();
    const again = await trainer.trpc.claimLease.mutate({ projectId, holder: "trainer-b" });
    if (!again.ok) throw new Error("lease not claimed");
    expect((await owner.trpc.training.status.query({ projectId })).activity).toBeNull();
    await trainer.trpc.reportActivity.mutate({ projectId, leaseId: again.leaseId, activity: { kind: "wait", reason: "for the upload in progress to finish" } });
    expect((await owner.trpc.training.status.query({ projectId })).activity).toMatchObject({ kind: "wait", reason: "for the upload in progress to finish" });
    // A lapsed lease is no better than a released one.
    await t.db.prisma.trainerLease.update({ where: { projectId }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await owner.trpc.training.status.query({ projectId })).activity).toBeNull();
    leaseId = ((await trainer.trpc.claimLease.mutate({ projectId, holder: "trainer-c" })) as { leaseId: string }).leaseId;
  });

  it("refuses a revoked token", async () => {
    await owner.trpc.training.revokeToken.mutate({ projectId, tokenId });
    expect(await errorOf(trainer.trpc.reportActivity.mutate({ projectId, leaseId, activity: upToDate }))).toBe("UNAUTHORIZED");
  });
});
