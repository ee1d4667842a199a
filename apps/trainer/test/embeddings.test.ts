// Image embeddings and "more like this" (issue 17) from the outside, on PGlite and PostgreSQL: the trainer posts
// embeddings with its lease, the grid lists an image's nearest neighbours in similarity order (other filters narrow
// them), a newer encoder's embeddings replace the old ones, and malformed posts and outsiders are refused. The
// embedding map: the trainer places embedded images, images.map reads them with labels and suggestions, and a saved
// selection (a lasso) is what the grid shows.
import { encodeVector, nearestRows } from "@fewlabel/api";
import { testDatabaseKinds } from "@fewlabel/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { png } from "@fewlabel/web/testing/fixtures";
import { startTestServer, type TestServer, TestUser, trpcErrorCode } from "@fewlabel/web/testing";
import { call, connect } from "@fewlabel/web/testing/realtime";
import { createTrainerApi, type TrainerApi } from "../src/api-client";

describe("nearestRows", () => {
  it("finds the same neighbours as sorting every similarity", () => {
    let seed = 3;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    const n = 500,
      dim = 16;
    const unit = new Float32Array(n * dim).map(rand);
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += unit[r * dim + d]! ** 2;
      for (let d = 0; d < dim; d++) unit[r * dim + d]! /= Math.sqrt(s);
    }
    const q = 17;
    const all = Array.from({ length: n }, (_, r) => r)
      .filter((r) => r !== q)
      .map((r) => ({ row: r, s: Array.from({ length: dim }, (_, d) => unit[r * dim + d]! * unit[q * dim + d]!).reduce((a, b) => a + b, 0) }));
    all.sort((a, b) => b.s - a.s);
    expect(nearestRows(unit, dim, q, 25).map((x) => x.row)).toEqual(all.slice(0, 25).map((x) => x.row));
  });
});

// Each database as the product opens it, and PGlite searching with its pgvector (FEWLABEL_VECTOR_SEARCH=pgvector).
const setups = [...testDatabaseKinds.map((kind) => [kind, "auto"] as const), ["pglite", "pgvector"] as const];

describe.each(setups)("embeddings and more like this on %s, vector search %s", (kind, vectorSearch) => {
  let t: TestServer;
  let owner: TestUser, outsider: TestUser;
  let projectId: string, otherProjectId: string;
  let imageIds: string[];
  let trainer: TrainerApi;
  let leaseId: string;
  let classIds: string[];

  /** Image i's embedding: a direction that turns away from image 0's as i grows (0 -> 7 less and less alike). */
  const vector = (i: number, flip = false) => {
    const angle = (i * Math.PI) / 16;
    return flip ? [Math.sin(angle), 0, Math.cos(angle), 1] : [Math.cos(angle), Math.sin(angle), 0, 1];
  };
  const publishEncoder = async () => (await trainer.publishModel(projectId, leaseId, { stage: "PRETRAIN", classIds, metrics: null, provenance: {}, imageCount: 8, labelledCount: 0 }, [])).id;
  const grid = (filter: Record<string, unknown>, u: TestUser = owner) => u.trpc.images.list.query({ projectId, filter: { status: "all", classId: null, search: "", ...filter } });

  beforeAll(async () => {
    t = await startTestServer(kind, { vectorSearch });
    // (A PostgreSQL with pgvector, which these machines lack, would search with it.)
    if (kind === "pglite") expect(t.db.vectorSearch.mode).toBe(vectorSearch === "pgvector" ? "pgvector" : "memory");
    owner = await TestUser.signUp(t.baseUrl, "owner@example.com");
    outsider = await TestUser.signUp(t.baseUrl, "outsider@example.com");
    ({ id: projectId } = await owner.trpc.projects.create.mutate({ name: "Alike", classes: [{ name: "a" }, { name: "b" }] }));
    ({ id: otherProjectId } = await owner.trpc.projects.create.mutate({ name: "Other", classes: [{ name: "x" }] }));
    const { uploadId } = await owner.trpc.uploads.start.mutate({ projectId });
    const files = await Promise.all(Array.from({ length: 8 }, async (_, i) => ({ path: `img${i}.png`, data: await png(70 + i) })));
    expect((await owner.uploadFiles(uploadId, files)).body).toMatchObject({ accepted: 8 });
    imageIds = (await owner.trpc.images.list.query({ projectId })).items.map((i) => i.id);
    classIds = (await owner.trpc.classes.list.query({ projectId })).map((c) => c.id);
    trainer = createTrainerApi(t.baseUrl, (await owner.trpc.training.createToken.mutate({ projectId, name: "t" })).token);
    const lease = await trainer.trpc.claimLease.mutate({ projectId, holder: "test" });
    if (!lease.ok) throw new Error("no lease");
    leaseId = lease.leaseId;
  });

  afterAll(async () => {
    await t?.close();
  });

  it("says when an image has no embedding yet", async () => {
    expect(await grid({ similarTo: imageIds[0] })).toMatchObject({ items: [], total: 0, noEmbedding: true });
  });

  it("stores the trainer's embeddings and lists an image's nearest neighbours, most similar first", async () => {
    const versionId = await publishEncoder();
    const foreign = (await owner.trpc.images.list.query({ projectId: otherProjectId })).items[0]?.id ?? "00000000-0000-4000-8000-000000000001";
    const posted = await trainer.trpc.postEmbeddings.mutate({
      projectId,
      leaseId,
      modelVersionId: versionId,
      items: [...imageIds.map((imageId, i) => ({ imageId, vector: encodeVector(vector(i)) })), { imageId: foreign, vector: encodeVector(vector(0)) }],
    });
    expect(posted).toEqual({ stored: 8, skipped: 1 });
    const near = await grid({ similarTo: imageIds[0] });
    expect(near.items.map((i) => imageIds.indexOf(i.id))).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(near.total).toBe(7);
    expect(near.similarity![imageIds[1]!]).toBeGreaterThan(near.similarity![imageIds[7]!]!);
    // From the middle: its two neighbours first.
    expect(
      (await grid({ similarTo: imageIds[4] })).items
        .slice(0, 2)
        .map((i) => imageIds.indexOf(i.id))
        .sort(),
    ).toEqual([3, 5]);
    // Other filters narrow the neighbours, in the same order.
    const live = await connect(t.baseUrl, owner.cookie);
    for (const i of [2, 6]) expect(await call(live, "label:set", { projectId, imageId: imageIds[i], classId: classIds[0], clientLabelId: crypto.randomUUID() })).toMatchObject({ ok: true });
    live.close();
    expect((await grid({ similarTo: imageIds[0], status: "labelled" })).items.map((i) => imageIds.indexOf(i.id))).toEqual([2, 6]);
    expect((await grid({ similarTo: imageIds[0], status: "unlabelled" })).items.map((i) => imageIds.indexOf(i.id))).toEqual([1, 3, 4, 5, 7]);
  });

  it("takes a newer encoder's embeddings in place of the old", async () => {
    const versionId = await publishEncoder();
    await trainer.trpc.postEmbeddings.mutate({ projectId, leaseId, modelVersionId: versionId, items: imageIds.map((imageId, i) => ({ imageId, vector: encodeVector(vector(7 - i, true)) })) });
    expect((await grid({ similarTo: imageIds[7] })).items.map((i) => imageIds.indexOf(i.id))).toEqual([6, 5, 4, 3, 2, 1, 0]);
    expect(await t.db.prisma.imageEmbedding.count({ where: { projectId } })).toBe(8);
  });

  it("refuses malformed embeddings, other projects' versions, and callers without the lease or membership", async () => {
    const versionId = (await t.db.prisma.modelVersion.findFirstOrThrow({ where: { projectId }, orderBy: { version: "desc" } })).id;
    const post = (items: { imageId: string; vector: string }[], o: { lease?: string; version?: string } = {}) =>
      trainer.trpc.postEmbeddings.mutate({ projectId, leaseId: o.lease ?? leaseId, modelVersionId: o.version ?? versionId, items });
    const code = async (p: Promise<unknown>) => {
      try {
        await p;
        return "OK";
      } catch (err) {
        return (err as { data?: { code?: string } }).data?.code ?? String(err);
      }
    };
    expect(await code(post([{ imageId: imageIds[0]!, vector: Buffer.from([1, 2, 3]).toString("base64") }]))).toBe("BAD_REQUEST");
    expect(
      await code(
        post([
          { imageId: imageIds[0]!, vector: encodeVector([1, 2]) },
          { imageId: imageIds[1]!, vector: encodeVector([1, 2, 3]) },
        ]),
      ),
    ).toBe("BAD_REQUEST");
    expect(await code(post([{ imageId: imageIds[0]!, vector: encodeVector([1, Number.NaN]) }]))).toBe("BAD_REQUEST");
    expect(await code(post([{ imageId: imageIds[0]!, vector: "not base64!" }]))).toBe("BAD_REQUEST");
    expect(await code(post([{ imageId: imageIds[0]!, vector: encodeVector([1, 2]) }], { version: "00000000-0000-4000-8000-000000000002" }))).toBe("NOT_FOUND");
    expect(await code(post([{ imageId: imageIds[0]!, vector: encodeVector([1, 2]) }], { lease: "00000000-0000-4000-8000-000000000003" }))).toBe("CONFLICT");
    expect(await trpcErrorCode(grid({ similarTo: imageIds[0] }, outsider))).toBe("NOT_FOUND");
    // Nothing of the refused posts was kept: the newest embeddings still answer.
    expect((await grid({ similarTo: imageIds[7] })).items[0]!.id).toBe(imageIds[6]);
  });

  it("keeps the trainer's map points for the version's embedded images and reads them with labels and suggestions", async () => {
    const versionId = (await t.db.prisma.modelVersion.findFirstOrThrow({ where: { projectId }, orderBy: { version: "desc" } })).id;
    expect(await owner.trpc.images.map.query({ projectId })).toMatchObject({ modelVersionId: null, ids: [], missing: 8 });
    const stray = "00000000-0000-4000-8000-000000000009";
    const points = imageIds.slice(0, 6).map((imageId, i) => ({ imageId, x: i / 10, y: 1 - i / 10 }));
    expect(await trainer.trpc.postMapPoints.mutate({ projectId, leaseId, modelVersionId: versionId, points: [...points, { imageId: stray, x: 0.5, y: 0.5 }] })).toEqual({ stored: 6, skipped: 1 });
    // A suggestion for image 3 (unlabelled) shows on its point with its confidence.
    await trainer.trpc.postPseudoLabels.mutate({
      projectId,
      leaseId,
      modelVersionId: versionId,
      items: [{ imageId: imageIds[3]!, classId: classIds[1]!, confidence: 0.75, probabilities: [0.25, 0.75] }],
    });
    const map = await owner.trpc.images.map.query({ projectId });
    expect(map).toMatchObject({ modelVersionId: versionId, missing: 2, classIds });
    const at = (i: number) => map.ids.indexOf(imageIds[i]!);
    expect(map.ids).toHaveLength(6);
    expect([map.xy[2 * at(4)], map.xy[2 * at(4) + 1]]).toEqual([0.4, 0.6]);
    expect(map.label[at(2)]).toBe(0); // labelled "a" in the test above
    expect(map.label[at(3)]).toBe(-1);
    expect([map.suggestion[at(3)], map.confidence[at(3)]]).toEqual([1, 0.75]);
    expect([map.suggestion[at(1)], map.confidence[at(1)]]).toEqual([-1, -1]);
    // Out of range or another project's version: refused, nothing moved.
    await expect(trainer.trpc.postMapPoints.mutate({ projectId, leaseId, modelVersionId: versionId, points: [{ imageId: imageIds[0]!, x: 1.5, y: 0 }] })).rejects.toMatchObject({
      data: { code: "BAD_REQUEST" },
    });
    const otherVersion = "00000000-0000-4000-8000-00000000000a";
    await expect(trainer.trpc.postMapPoints.mutate({ projectId, leaseId, modelVersionId: otherVersion, points: [{ imageId: imageIds[0]!, x: 0.9, y: 0.9 }] })).rejects.toMatchObject({
      data: { code: "NOT_FOUND" },
    });
    await expect(trainer.trpc.postMapPoints.mutate({ projectId, leaseId: otherVersion, modelVersionId: versionId, points: [{ imageId: imageIds[0]!, x: 0.9, y: 0.9 }] })).rejects.toMatchObject({
      data: { code: "CONFLICT" },
    });
    expect((await owner.trpc.images.map.query({ projectId })).xy.slice(2 * at(0), 2 * at(0) + 2)).toEqual([0, 1]);
    expect(await trpcErrorCode(outsider.trpc.images.map.query({ projectId }))).toBe("NOT_FOUND");
  });

  it("shows a saved selection in the grid, only the project's images of it", async () => {
    const foreign = (await owner.trpc.images.list.query({ projectId: otherProjectId })).items[0]?.id ?? "00000000-0000-4000-8000-00000000000b";
    const { selectionId, count } = await owner.trpc.images.saveSelection.mutate({ projectId, imageIds: [imageIds[1]!, imageIds[5]!, imageIds[6]!, foreign] });
    expect(count).toBe(3);
    const page = await grid({ selectionId, sort: "oldest" });
    expect(page.total).toBe(3);
    expect(page.items.map((i) => imageIds.indexOf(i.id)).sort()).toEqual([1, 5, 6]);
    // Other filters narrow it (image 6 was labelled above).
    expect((await grid({ selectionId, status: "unlabelled" })).items.map((i) => imageIds.indexOf(i.id)).sort()).toEqual([1, 5]);
    // Someone else's project cannot read it through their own project, and an outsider cannot save into this one.
    expect((await owner.trpc.images.list.query({ projectId: otherProjectId, filter: { selectionId } })).total).toBe(0);
    expect(await trpcErrorCode(outsider.trpc.images.saveSelection.mutate({ projectId, imageIds: [imageIds[0]!] }))).toBe("NOT_FOUND");
    // Each person keeps their newest ten.
    for (let i = 0; i < 11; i++) await owner.trpc.images.saveSelection.mutate({ projectId, imageIds: [imageIds[i % 8]!] });
    expect(await t.db.prisma.imageSelection.count({ where: { projectId } })).toBe(10);
    expect((await grid({ selectionId })).total).toBe(0);
  });
});
