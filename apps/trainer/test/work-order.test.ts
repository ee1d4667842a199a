// The work queue's order (issue 17, active learning), from the outside on PGlite and PostgreSQL: an owner sets it,
// a trainer's suggestions decide it, annotators claiming over socket.io get images in that order, leases still
// keep two annotators off one image, and only owners may change it.
import { testDatabaseKinds } from "@fewlabel/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { png } from "@fewlabel/web/testing/fixtures";
import { startTestServer, type TestServer, TestUser, trpcErrorCode } from "@fewlabel/web/testing";
import { call, connect, type LiveSocket } from "@fewlabel/web/testing/realtime";
import { encodeVector } from "@fewlabel/api/embedding-vector";
import { createTrainerApi, type TrainerApi } from "../src/api-client";

describe.each(testDatabaseKinds)("the work queue's order on %s", (kind) => {
  let t: TestServer;
  let owner: TestUser, ann: TestUser, ann2: TestUser;
  let projectId: string;
  let imageIds: string[];
  let trainer: TrainerApi, leaseId: string, versionId: string;
  const sockets: LiveSocket[] = [];

  beforeAll(async () => {
    t = await startTestServer(kind);
    owner = await TestUser.signUp(t.baseUrl, "owner@example.com");
    ann = await TestUser.signUp(t.baseUrl, "ann@example.com");
    ann2 = await TestUser.signUp(t.baseUrl, "ann2@example.com");
    ({ id: projectId } = await owner.trpc.projects.create.mutate({ name: "Queue", classes: [{ name: "a" }, { name: "b" }, { name: "c" }] }));
    const { uploadId } = await owner.trpc.uploads.start.mutate({ projectId });
    const files = await Promise.all([0, 1, 2, 3, 4, 5].map(async (i) => ({ path: `img${i}.png`, data: await png(40 + i) })));
    expect((await owner.uploadFiles(uploadId, files)).body).toMatchObject({ accepted: 6 });
    imageIds = (await owner.trpc.images.list.query({ projectId })).items.map((i) => i.id);
    for (const u of [ann, ann2]) {
      const invite = await owner.trpc.invites.create.mutate({ projectId, role: "ANNOTATOR" });
      await u.trpc.invites.accept.mutate({ token: invite.token });
    }
    // A model suggests for images 0-3: confidence 0.9, 0.5, 0.4, 0.6; margins 0.85, 0.05, 0.1, 0.4. 4 and 5 have none.
    trainer = createTrainerApi(t.baseUrl, (await owner.trpc.training.createToken.mutate({ projectId, name: "t" })).token);
    const lease = await trainer.trpc.claimLease.mutate({ projectId, holder: "test" });
    if (!lease.ok) throw new Error("no lease");
    leaseId = lease.leaseId;
    const classIds = (await owner.trpc.classes.list.query({ projectId })).map((c) => c.id);
    const version = await trainer.publishModel(projectId, lease.leaseId, { stage: "FINETUNE", classIds, metrics: null, provenance: {}, imageCount: 6, labelledCount: 0 }, []);
    versionId = version.id;
    const probs = [
      [0.9, 0.05, 0.05],
      [0.5, 0.45, 0.05],
      [0.4, 0.3, 0.3],
      [0.2, 0.6, 0.2],
    ];
    await trainer.trpc.postPseudoLabels.mutate({
      projectId,
      leaseId: lease.leaseId,
      modelVersionId: version.id,
      items: probs.map((p, i) => {
        const top = p.indexOf(Math.max(...p));
        return { imageId: imageIds[i]!, classId: classIds[top]!, confidence: p[top]!, probabilities: p };
      }),
    });
  });

  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await t?.close();
  });

  const open = async (u: TestUser) => {
    const s = await connect(t.baseUrl, u.cookie);
    sockets.push(s);
    return s;
  };
  /**
   * One claim: the leased image and the three the queue would hand out next, as image numbers. The connection stays
   * open with `hold` (closing it gives the lease back).
   */
  const claim = async (u: TestUser, hold = false) => {
    const s = await open(u);
    const r = await call(s, "image:claim", { projectId });
    expect(r.ok).toBe(true);
    if (!hold) s.close();
    return [r.image as { id: string }, ...(r.prefetch as { id: string }[])].map((i) => imageIds.indexOf(i.id));
  };
  const setOrder = (queueOrder: "OLDEST" | "RANDOM" | "LEAST_CONFIDENT" | "MARGIN" | "DIVERSE") => owner.trpc.projects.update.mutate({ projectId, queueOrder });
  /** Leases of earlier claims lapse: each order is looked at on a fresh queue. */
  const freeLeases = () => t.db.prisma.lease.deleteMany({ where: { projectId } });

  it("hands out upload order by default", async () => {
    expect((await owner.trpc.projects.get.query({ projectId })).queueOrder).toBe("OLDEST");
    expect(await claim(ann)).toEqual([0, 1, 2, 3]);
  });

  it("hands out the least confident suggestion first, then images without one in upload order", async () => {
    await freeLeases();
    await setOrder("LEAST_CONFIDENT");
    expect(await claim(ann, true)).toEqual([2, 1, 3, 0]);
    // The second annotator does not get the image the first holds.
    expect((await claim(ann2))[0]).toBe(1);
  });

  it("hands out the smallest margin first", async () => {
    await freeLeases();
    await setOrder("MARGIN");
    expect(await claim(ann)).toEqual([1, 2, 3, 0]);
  });

  it("hands out the least labelled cluster of the embeddings first, the smallest margin within it", async () => {
    await freeLeases();
    await setOrder("DIVERSE");
    // Before any clusters: upload order.
    expect(await claim(ann)).toEqual([0, 1, 2, 3]);
    // The trainer's clusters: {0, 1}, {2, 3}, {4, 5}; image 2 gets a label, so {2, 3} is the best labelled.
    await trainer.trpc.postEmbeddings.mutate({ projectId, leaseId, modelVersionId: versionId, items: imageIds.map((imageId, i) => ({ imageId, vector: encodeVector([i, 1]) })) });
    await trainer.trpc.postMapPoints.mutate({ projectId, leaseId, modelVersionId: versionId, points: imageIds.map((imageId, i) => ({ imageId, x: i / 6, y: 0.5, cluster: Math.floor(i / 2) })) });
    const s = await open(owner);
    const [a] = (await owner.trpc.classes.list.query({ projectId })).map((c) => c.id);
    expect(await call(s, "label:set", { projectId, imageId: imageIds[2], classId: a, clientLabelId: crypto.randomUUID() })).toMatchObject({ ok: true });
    await freeLeases();
    // Unlabelled clusters first: 1 (margin 0.05) and 0 (0.85), then 4 and 5 (no suggestion); 3 (0.4) only after them.
    expect(await claim(ann)).toEqual([1, 0, 4, 5]);
    await freeLeases();
    await setOrder("MARGIN");
    expect((await claim(ann))[0]).toBe(1);
  });

  it("goes on in upload order once the suggested images are labelled", async () => {
    await freeLeases();
    await setOrder("LEAST_CONFIDENT");
    const s = await open(owner);
    const [a] = (await owner.trpc.classes.list.query({ projectId })).map((c) => c.id);
    for (const i of [0, 1, 2, 3]) expect(await call(s, "label:set", { projectId, imageId: imageIds[i], classId: a, clientLabelId: crypto.randomUUID() })).toMatchObject({ ok: true });
    expect((await claim(ann)).slice(0, 2)).toEqual([4, 5]);
  });

  it("draws at random among the claimable images", async () => {
    await freeLeases();
    await setOrder("RANDOM");
    const got = await claim(ann2);
    expect(got.length).toBeGreaterThan(0);
    expect(got.every((i) => i === 4 || i === 5)).toBe(true);
  });

  it("lets only owners change it, and refuses an unknown order", async () => {
    expect(await trpcErrorCode(ann.trpc.projects.update.mutate({ projectId, queueOrder: "MARGIN" }))).toBe("FORBIDDEN");
    expect(await trpcErrorCode(owner.trpc.projects.update.mutate({ projectId, queueOrder: "NEWEST" as never }))).toBe("BAD_REQUEST");
  });
});
