// Near-duplicate groups (issue 17, item 3) from the outside, on PGlite and PostgreSQL: the trainer posts its groups with
// its lease; reviewers list them (those straddling the held-out split first), keep one image and hide the others (out
// of the grid, the counts, the work queue, the trainer's state and the map, their pending suggestions gone), undo that,
// or find a group distinct (not raised again); annotators may look but not settle; outsiders get nothing.
import { testDatabaseKinds } from "@fewlabel/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { png } from "@fewlabel/web/testing/fixtures";
import { startTestServer, type TestServer, TestUser, trpcErrorCode } from "@fewlabel/web/testing";
import { call, connect } from "@fewlabel/web/testing/realtime";
import { createTrainerApi, type TrainerApi } from "../src/api-client";

describe.each(testDatabaseKinds)("near-duplicate groups on %s", (kind) => {
  let t: TestServer;
  let owner: TestUser, annotator: TestUser, outsider: TestUser;
  let projectId: string;
  let ids: string[];
  let trainer: TrainerApi;
  let leaseId: string;
  let classIds: string[];
  const post = (groups: { imageIds: string[]; similarity: number; straddlesHoldout: boolean }[], lease = leaseId) => trainer.trpc.postDuplicateGroups.mutate({ projectId, leaseId: lease, groups });
  const list = (u: TestUser = owner) => u.trpc.review.duplicates.query({ projectId });

  beforeAll(async () => {
    t = await startTestServer(kind);
    owner = await TestUser.signUp(t.baseUrl, "owner@example.com");
    annotator = await TestUser.signUp(t.baseUrl, "annotator@example.com");
    outsider = await TestUser.signUp(t.baseUrl, "outsider@example.com");
    ({ id: projectId } = await owner.trpc.projects.create.mutate({ name: "Twins", classes: [{ name: "a" }, { name: "b" }] }));
    await annotator.trpc.invites.accept.mutate({ token: (await owner.trpc.invites.create.mutate({ projectId, role: "ANNOTATOR" })).token });
    const { uploadId } = await owner.trpc.uploads.start.mutate({ projectId });
    const files = await Promise.all(Array.from({ length: 6 }, async (_, i) => ({ path: `img${i}.png`, data: await png(40 + i) })));
    expect((await owner.uploadFiles(uploadId, files)).body).toMatchObject({ accepted: 6 });
    ids = (await owner.trpc.images.list.query({ projectId, filter: { sort: "oldest" } })).items.map((i) => i.id);
    classIds = (await owner.trpc.classes.list.query({ projectId })).map((c) => c.id);
    trainer = createTrainerApi(t.baseUrl, (await owner.trpc.training.createToken.mutate({ projectId, name: "t" })).token);
    const lease = await trainer.trpc.claimLease.mutate({ projectId, holder: "test" });
    if (!lease.ok) throw new Error("no lease");
    leaseId = lease.leaseId;
  });

  afterAll(async () => {
    await t?.close();
  });

  it("lists the trainer's groups, straddling ones first, without images that are not the project's", async () => {
    const stray = "00000000-0000-4000-8000-000000000001";
    expect(
      await post([
        { imageIds: [ids[0]!, ids[1]!], similarity: 0.99, straddlesHoldout: false },
        { imageIds: [ids[2]!, ids[3]!, stray], similarity: 0.985, straddlesHoldout: true },
        { imageIds: [ids[4]!, stray], similarity: 0.999, straddlesHoldout: false },
      ]),
    ).toEqual({ open: 2, settled: 0 });
    const groups = await list();
    expect(groups).toMatchObject({ total: 2, straddling: 1 });
    expect(groups.items.map((g) => g.images.map((i) => ids.indexOf(i.id)))).toEqual([
      [2, 3],
      [0, 1],
    ]);
    expect(groups.items[0]).toMatchObject({ straddlesHoldout: true, similarity: 0.985 });
    // Posted again, an open group keeps its id; one not found any more goes.
    const before = groups.items.find((g) => g.images[0]!.id === ids[0])!.id;
    await post([{ imageIds: [ids[1]!, ids[0]!], similarity: 0.991, straddlesHoldout: false }]);
    expect((await list()).items.map((g) => g.id)).toEqual([before]);
    expect((await list(annotator)).total).toBe(1);
  });

  it("keeps one image and hides the other everywhere, and brings it back on undo", async () => {
    // Image 1 has a pending suggestion, image 0 a label.
    const version = await trainer.publishModel(projectId, leaseId, { stage: "PRETRAIN", classIds, metrics: null, provenance: {}, imageCount: 6, labelledCount: 0 }, []);
    await trainer.trpc.postPseudoLabels.mutate({ projectId, leaseId, modelVersionId: version.id, items: [{ imageId: ids[1]!, classId: classIds[1]!, confidence: 0.9, probabilities: [0.1, 0.9] }] });
    const live = await connect(t.baseUrl, owner.cookie);
    expect(await call(live, "label:set", { projectId, imageId: ids[0], classId: classIds[0], clientLabelId: crypto.randomUUID() })).toMatchObject({ ok: true });
    const group = (await list()).items[0]!;
    expect(await trpcErrorCode(annotator.trpc.review.resolveDuplicates.mutate({ projectId, groupId: group.id, action: { kind: "keep", imageId: ids[0]! } }))).toBe("FORBIDDEN");
    expect(await trpcErrorCode(owner.trpc.review.resolveDuplicates.mutate({ projectId, groupId: group.id, action: { kind: "keep", imageId: ids[5]! } }))).toBe("BAD_REQUEST");
    expect(await owner.trpc.review.resolveDuplicates.mutate({ projectId, groupId: group.id, action: { kind: "keep", imageId: ids[0]! } })).toEqual({ hidden: 1 });
    expect(await trpcErrorCode(owner.trpc.review.resolveDuplicates.mutate({ projectId, groupId: group.id, action: { kind: "distinct" } }))).toBe("CONFLICT");

    const grid = await owner.trpc.images.list.query({ projectId });
    expect(grid.items.map((i) => i.id)).not.toContain(ids[1]);
    expect(grid.total).toBe(5);
    expect((await owner.trpc.images.list.query({ projectId, filter: { status: "hidden" } })).items.map((i) => i.id)).toEqual([ids[1]]);
    expect(await owner.trpc.images.stats.query({ projectId })).toMatchObject({ total: 5, hidden: 1 });
    expect((await trainer.trpc.state.query({ projectId })).images.map((i) => i.id)).not.toContain(ids[1]);
    expect((await owner.trpc.pseudoLabels.list.query({ projectId })).total).toBe(0);
    // The export leaves it out too.
    const csv = await (await owner.fetch(`/api/projects/${projectId}/export?format=csv`)).text();
    expect(csv.split("\n").filter((l) => l.trim()).length).toBe(1 + 5);
    expect(await t.db.prisma.pseudoLabel.count({ where: { imageId: ids[1]! } })).toBe(0);
    // The work queue never hands it out: claim everything there is.
    const claimed: string[] = [];
    for (let k = 0; k < 8; k++) {
      const image = (await call(live, "image:claim", { projectId })).image as { id: string } | null;
      if (!image) break;
      claimed.push(image.id);
      await call(live, "label:set", { projectId, imageId: image.id, classId: classIds[1], clientLabelId: crypto.randomUUID() });
    }
    expect(claimed.length).toBeGreaterThan(0);
    expect(claimed).not.toContain(ids[1]);
    // The trainer posts the same group again: it stays settled, and a group with a hidden image loses it.
    expect(await post([{ imageIds: [ids[0]!, ids[1]!], similarity: 0.99, straddlesHoldout: false }])).toEqual({ open: 0, settled: 0 });
    expect((await list()).total).toBe(0);

    expect(await owner.trpc.review.reopenDuplicates.mutate({ projectId, groupId: group.id })).toEqual({ shown: 1 });
    expect((await owner.trpc.images.stats.query({ projectId })).hidden).toBe(0);
    expect((await trainer.trpc.state.query({ projectId })).images.map((i) => i.id)).toContain(ids[1]);
    expect((await list()).items.map((g) => g.id)).toEqual([group.id]);
    live.close();
  });

  it("settles a group once when two reviewers keep different images at the same time", async () => {
    const group = (await list()).items[0]!;
    const [a, b] = group.images.map((i) => i.id);
    const outcomes = await Promise.all([a!, b!].map((imageId) => trpcErrorCode(owner.trpc.review.resolveDuplicates.mutate({ projectId, groupId: group.id, action: { kind: "keep", imageId } }))));
    expect(outcomes.sort()).toEqual(["CONFLICT", "OK"]);
    expect((await owner.trpc.images.stats.query({ projectId })).hidden).toBe(1);
    // Two undos at once: one reopens, the other finds nothing to do.
    expect((await Promise.all([0, 1].map(() => owner.trpc.review.reopenDuplicates.mutate({ projectId, groupId: group.id })))).map((r) => r.shown).sort()).toEqual([0, 1]);
    expect((await owner.trpc.images.stats.query({ projectId })).hidden).toBe(0);
  });

  it("finds a group distinct: not raised again for the same images", async () => {
    const group = (await list()).items[0]!;
    await owner.trpc.review.resolveDuplicates.mutate({ projectId, groupId: group.id, action: { kind: "distinct" } });
    expect(await post([{ imageIds: [ids[0]!, ids[1]!], similarity: 0.99, straddlesHoldout: false }])).toEqual({ open: 0, settled: 1 });
    expect((await list()).total).toBe(0);
    expect((await owner.trpc.images.stats.query({ projectId })).hidden).toBe(0);
  });

  it("shows hidden images again from the grid, for reviewers and owners only", async () => {
    await post([{ imageIds: [ids[4]!, ids[5]!], similarity: 0.99, straddlesHoldout: true }]);
    const group = (await list()).items.find((g) => g.images.some((i) => i.id === ids[4]))!;
    expect(group.straddlesHoldout).toBe(true);
    await owner.trpc.review.resolveDuplicates.mutate({ projectId, groupId: group.id, action: { kind: "keep", imageId: ids[4]! } });
    expect(await trpcErrorCode(annotator.trpc.images.show.mutate({ projectId, imageIds: [ids[5]!] }))).toBe("FORBIDDEN");
    expect(await trpcErrorCode(outsider.trpc.images.show.mutate({ projectId, imageIds: [ids[5]!] }))).toBe("NOT_FOUND");
    expect(await owner.trpc.images.show.mutate({ projectId, imageIds: [ids[5]!, ids[4]!] })).toEqual({ shown: 1 });
    expect((await owner.trpc.images.stats.query({ projectId })).hidden).toBe(0);
    expect((await owner.trpc.images.list.query({ projectId, filter: { status: "hidden" } })).total).toBe(0);
  });

  it("refuses malformed posts, callers without the lease, and outsiders", async () => {
    expect(await trpcErrorCode(post([{ imageIds: [ids[0]!], similarity: 0.99, straddlesHoldout: false }]))).toBe("BAD_REQUEST");
    expect(await trpcErrorCode(post([{ imageIds: [ids[0]!, ids[2]!], similarity: 1.5, straddlesHoldout: false }]))).toBe("BAD_REQUEST");
    expect(await trpcErrorCode(post([{ imageIds: [ids[0]!, ids[2]!], similarity: 0.99, straddlesHoldout: false }], "00000000-0000-4000-8000-000000000003"))).toBe("CONFLICT");
    expect(await trpcErrorCode(list(outsider))).toBe("NOT_FOUND");
    const group = "00000000-0000-4000-8000-000000000004";
    expect(await trpcErrorCode(outsider.trpc.review.resolveDuplicates.mutate({ projectId, groupId: group, action: { kind: "distinct" } }))).toBe("NOT_FOUND");
    expect(await trpcErrorCode(owner.trpc.review.reopenDuplicates.mutate({ projectId, groupId: group }))).toBe("NOT_FOUND");
  });
});
