// Deleting a project deletes its files (issue 18), from the outside on PGlite and PostgreSQL: its model files and
// checkpoints, and the image files no other project shares; content another project holds stays and is still served.
// And the ingest side of the collection protocol: files collected between their write and the row's commit are
// written again.
import fs from "node:fs";
import path from "node:path";
import { testDatabaseKinds } from "@fewlabel/db/testing";
import { DEFAULT_TRAINING_COPY_SIDE, LocalImageStore, originalKey, thumbnailKey, trainingKey } from "@fewlabel/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restoreMissingBlobs } from "@fewlabel/api";
import { png } from "@fewlabel/web/testing/fixtures";
import { startTestServer, type TestServer, TestUser } from "@fewlabel/web/testing";
import { createTrainerApi } from "../src/api-client";

describe.each(testDatabaseKinds)("deleting a project on %s", (kind) => {
  let t: TestServer;
  let owner: TestUser;

  beforeAll(async () => {
    t = await startTestServer(kind);
    owner = await TestUser.signUp(t.baseUrl, "owner@example.com");
  });
  afterAll(async () => {
    await t?.close();
  });

  const upload = async (projectId: string, files: { path: string; data: Buffer }[]) => {
    const { uploadId } = await owner.trpc.uploads.start.mutate({ projectId });
    expect((await owner.uploadFiles(uploadId, files)).body).toMatchObject({ accepted: files.length });
  };
  const exists = (key: string) => fs.existsSync(path.join(t.storeDir, key));

  it("removes its model files, checkpoints and unshared image files, and keeps what another project holds", async () => {
    const { id: doomed } = await owner.trpc.projects.create.mutate({ name: "Doomed", classes: [{ name: "a" }] });
    const { id: kept } = await owner.trpc.projects.create.mutate({ name: "Kept", classes: [{ name: "a" }] });
    const [only, shared] = [await png(301), await png(302)];
    await upload(doomed, [
      { path: "only.png", data: only },
      { path: "shared.png", data: shared },
    ]);
    await upload(kept, [{ path: "shared-too.png", data: shared }]);
    const hashes = Object.fromEntries((await t.db.prisma.image.findMany({ where: { projectId: doomed }, select: { filename: true, contentHash: true } })).map((i) => [i.filename, i.contentHash]));
    const side = DEFAULT_TRAINING_COPY_SIDE;
    for (const h of Object.values(hashes)) for (const key of [originalKey(h), thumbnailKey(h), trainingKey(h, side)]) expect(exists(key), key).toBe(true);

    // A trainer leaves a model file and a checkpoint.
    const trainer = createTrainerApi(t.baseUrl, (await owner.trpc.training.createToken.mutate({ projectId: doomed, name: "t" })).token);
    const lease = await trainer.trpc.claimLease.mutate({ projectId: doomed, holder: "test" });
    if (!lease.ok) throw new Error("no lease");
    const classIds = (await owner.trpc.classes.list.query({ projectId: doomed })).map((c) => c.id);
    const version = await trainer.publishModel(doomed, lease.leaseId, { stage: "FINETUNE", classIds, metrics: null, provenance: {}, imageCount: 2, labelledCount: 0 }, [
      { path: "teacher/model.json", bytes: new TextEncoder().encode("{}") },
    ]);
    await trainer.putCheckpoint(doomed, lease.leaseId, "pretrain", new Uint8Array([1, 2, 3]));
    const modelKey = `models/${doomed}/${version.id}/teacher/model.json`;
    expect(exists(modelKey)).toBe(true);
    expect(exists(`checkpoints/${doomed}/pretrain`)).toBe(true);

    await owner.trpc.projects.delete.mutate({ projectId: doomed, confirmName: "Doomed" });

    for (const key of [originalKey(hashes["only.png"]!), thumbnailKey(hashes["only.png"]!), trainingKey(hashes["only.png"]!, side), modelKey, `checkpoints/${doomed}/pretrain`])
      expect(exists(key), key).toBe(false);
    // The other project's copy of the shared content is untouched, and still served.
    for (const key of [originalKey(hashes["shared.png"]!), thumbnailKey(hashes["shared.png"]!)]) expect(exists(key), key).toBe(true);
    const keptImage = (await owner.trpc.images.list.query({ projectId: kept })).items[0]!;
    expect((await owner.fetch(`/api/images/${keptImage.id}/thumbnail`)).status).toBe(200);
  });
});

describe("files collected while an ingest's rows were on their way", () => {
  it("are written again after the rows commit", async () => {
    const dir = fs.mkdtempSync(path.join((await import("node:os")).tmpdir(), "fewlabel-blobs-"));
    try {
      const store = new LocalImageStore(dir);
      const hash = "ab".repeat(32);
      const image = { hash, bytes: new Uint8Array([1]), thumbnail: new Uint8Array([2]), training: new Uint8Array([3]), trainingSide: 256 };
      // Never written (or collected since): all three come back.
      expect(await restoreMissingBlobs(store, [image])).toBe(1);
      expect([...(await store.get(originalKey(hash)))]).toEqual([1]);
      expect([...(await store.get(trainingKey(hash, 256)))]).toEqual([3]);
      // Present: nothing to do.
      expect(await restoreMissingBlobs(store, [image])).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
