// Possible label errors (issue 17) from the outside, on PGlite and PostgreSQL: the trainer posts its current list
// with its lease; members see open issues about labels the images still have; reviewers keep or change a label by
// decision (recorded in the history); a kept label is not raised again; annotators and outsiders cannot settle one.
import { testDatabaseKinds } from "@fewlabel/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { png } from "@fewlabel/web/testing/fixtures";
import { startTestServer, type TestServer, TestUser, trpcErrorCode } from "@fewlabel/web/testing";
import { call, connect } from "@fewlabel/web/testing/realtime";
import { createTrainerApi, type TrainerApi } from "../src/api-client";

describe.each(testDatabaseKinds)("possible label errors on %s", (kind) => {
  let t: TestServer;
  let owner: TestUser, reviewer: TestUser, annotator: TestUser, outsider: TestUser;
  let projectId: string;
  let imageIds: string[];
  let cat: string, dog: string;
  let trainer: TrainerApi;
  let leaseId: string, versionId: string;

  const issue = (i: number, given: string, suggested: string, self = 0.1) => ({
    imageId: imageIds[i]!,
    givenClassId: given,
    suggestedClassId: suggested,
    selfConfidence: self,
    suggestedConfidence: 0.85,
  });
  const post = (items: ReturnType<typeof issue>[]) => trainer.trpc.postLabelIssues.mutate({ projectId, leaseId, modelVersionId: versionId, items });

  beforeAll(async () => {
    t = await startTestServer(kind);
    owner = await TestUser.signUp(t.baseUrl, "owner@example.com");
    reviewer = await TestUser.signUp(t.baseUrl, "reviewer@example.com");
    annotator = await TestUser.signUp(t.baseUrl, "annotator@example.com");
    outsider = await TestUser.signUp(t.baseUrl, "outsider@example.com");
    ({ id: projectId } = await owner.trpc.projects.create.mutate({ name: "Checked", classes: [{ name: "cat" }, { name: "dog" }] }));
    [cat, dog] = (await owner.trpc.classes.list.query({ projectId })).map((c) => c.id) as [string, string];
    for (const [u, role] of [
      [reviewer, "REVIEWER"],
      [annotator, "ANNOTATOR"],
    ] as const) {
      const invite = await owner.trpc.invites.create.mutate({ projectId, role });
      await u.trpc.invites.accept.mutate({ token: invite.token });
    }
    const { uploadId } = await owner.trpc.uploads.start.mutate({ projectId });
    const files = await Promise.all([0, 1, 2, 3].map(async (i) => ({ path: `img${i}.png`, data: await png(90 + i) })));
    expect((await owner.uploadFiles(uploadId, files)).body).toMatchObject({ accepted: 4 });
    imageIds = (await owner.trpc.images.list.query({ projectId })).items.map((i) => i.id);
    // The annotator labels all four cat.
    const live = await connect(t.baseUrl, annotator.cookie);
    for (const id of imageIds) expect(await call(live, "label:set", { projectId, imageId: id, classId: cat, clientLabelId: crypto.randomUUID() })).toMatchObject({ ok: true });
    live.close();
    trainer = createTrainerApi(t.baseUrl, (await owner.trpc.training.createToken.mutate({ projectId, name: "t" })).token);
    const lease = await trainer.trpc.claimLease.mutate({ projectId, holder: "test" });
    if (!lease.ok) throw new Error("no lease");
    leaseId = lease.leaseId;
    versionId = (await trainer.publishModel(projectId, leaseId, { stage: "PRETRAIN", classIds: [cat, dog], metrics: null, provenance: {}, imageCount: 4, labelledCount: 4 }, [])).id;
  });

  afterAll(async () => {
    await t?.close();
  });

  it("lists the trainer's issues about labels the images still have, least self-confident first", async () => {
    // Image 3's issue names a label it does not have (dog): not kept.
    expect(await post([issue(0, cat, dog, 0.2), issue(1, cat, dog, 0.05), issue(3, dog, cat)])).toEqual({ open: 2, settled: 0 });
    const listed = await annotator.trpc.review.labelIssues.query({ projectId });
    expect(listed.items.map((i) => imageIds.indexOf(i.imageId))).toEqual([1, 0]);
    expect(listed.items[0]).toMatchObject({ givenClassId: cat, suggestedClassId: dog, labelledBy: "annotator", modelVersion: 1 });
    expect(await trpcErrorCode(outsider.trpc.review.labelIssues.query({ projectId }))).toBe("NOT_FOUND");
  });

  it("lets reviewers keep or change a label by decision, recorded in the history; annotators cannot", async () => {
    const [one, zero] = (await reviewer.trpc.review.labelIssues.query({ projectId })).items;
    expect(await trpcErrorCode(annotator.trpc.review.resolveIssue.mutate({ projectId, issueId: one!.id, classId: dog }))).toBe("FORBIDDEN");
    expect(await trpcErrorCode(outsider.trpc.review.resolveIssue.mutate({ projectId, issueId: one!.id, classId: dog }))).toBe("NOT_FOUND");
    // Change image 1 to dog: the reviewer's decision outweighs the annotator's vote.
    await reviewer.trpc.review.resolveIssue.mutate({ projectId, issueId: one!.id, classId: dog });
    expect((await owner.trpc.images.get.query({ projectId, imageId: imageIds[1]! })).labelClassId).toBe(dog);
    expect((await owner.trpc.images.history.query({ projectId, imageId: imageIds[1]! })).at(-1)).toMatchObject({ classId: dog, decision: true, author: { name: "reviewer" } });
    // Keep image 0's cat.
    await reviewer.trpc.review.resolveIssue.mutate({ projectId, issueId: zero!.id, classId: cat });
    expect((await owner.trpc.images.get.query({ projectId, imageId: imageIds[0]! })).labelClassId).toBe(cat);
    expect(await trpcErrorCode(reviewer.trpc.review.resolveIssue.mutate({ projectId, issueId: zero!.id, classId: dog }))).toBe("CONFLICT");
    expect((await reviewer.trpc.review.labelIssues.query({ projectId })).total).toBe(0);
  });

  it("does not raise a kept label again, and replaces the open list with each post", async () => {
    expect(await post([issue(0, cat, dog), issue(2, cat, dog)])).toEqual({ open: 1, settled: 1 });
    const [two] = (await reviewer.trpc.review.labelIssues.query({ projectId })).items;
    expect(imageIds.indexOf(two!.imageId)).toBe(2);
    // Raised again (new numbers, as after more labels): the same issue, so a reviewer looking at it can still answer.
    expect(await post([issue(2, cat, dog, 0.02), issue(3, cat, dog, 0.3)])).toEqual({ open: 2, settled: 0 });
    const again = (await reviewer.trpc.review.labelIssues.query({ projectId })).items;
    expect(again.map((i) => imageIds.indexOf(i.imageId))).toEqual([2, 3]);
    expect(again[0]).toMatchObject({ id: two!.id, selfConfidence: 0.02 });
    expect(await post([])).toEqual({ open: 0, settled: 0 });
    expect((await reviewer.trpc.review.labelIssues.query({ projectId })).total).toBe(0);
    // Without the lease, nothing is taken.
    expect(await trpcErrorCode(trainer.trpc.postLabelIssues.mutate({ projectId, leaseId: "00000000-0000-4000-8000-000000000009", modelVersionId: versionId, items: [issue(2, cat, dog)] }))).toBe(
      "CONFLICT",
    );
  });
});
