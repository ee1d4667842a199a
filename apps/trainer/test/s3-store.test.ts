// Two web servers with no disk in common, one database and one S3 bucket (a real S3-compatible server from npm over
// HTTP), as on two machines (issue 18, item 2): what one instance stores, the other serves. Uploads through one;
// thumbnails, originals, training copies and the export through the other; a trainer's checkpoint and model written
// through one and read through the other; deleting the project empties the bucket of its files. On PGlite (shared in
// process) and PostgreSQL.
import fs from "node:fs";
import { testDatabaseKinds } from "@fewlabel/db/testing";
import { S3ImageStore } from "@fewlabel/storage";
import { startS3Server, type TestS3Server } from "@fewlabel/storage/testing/s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { png } from "@fewlabel/web/testing/fixtures";
import { startTestServer, type TestServer, TestUser } from "@fewlabel/web/testing";
import { createTrainerApi } from "../src/api-client";

describe.each(testDatabaseKinds)("web servers sharing an S3 bucket on %s", (kind) => {
  let s3: TestS3Server;
  const clients: { destroy(): void }[] = [];
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    s3 = await startS3Server(`fewlabel-${kind.toLowerCase()}`);
    // Each instance has its own client, as two processes would.
    const store = (prefix: string) => {
      const client = s3.client();
      clients.push(client);
      return new S3ImageStore({ client, bucket: s3.bucket, prefix });
    };
    a = await startTestServer(kind, { store: store("team/") });
    b = await startTestServer(kind, { shared: a, store: store("team/") });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    for (const c of clients) c.destroy();
    await s3?.close();
  });

  it("serves from one instance what the other stored, and deletes it from the bucket", async () => {
    const ownerA = await TestUser.signUp(a.baseUrl, "owner@example.com");
    const ownerB = new TestUser(b.baseUrl);
    ownerB.cookie = ownerA.cookie;
    const { id: projectId } = await ownerA.trpc.projects.create.mutate({ name: "Shared", classes: [{ name: "cat" }, { name: "dog" }] });
    const { uploadId } = await ownerA.trpc.uploads.start.mutate({ projectId });
    const files = [
      { path: "cat/one.png", data: await png(11) },
      { path: "two.png", data: await png(12) },
    ];
    expect((await ownerA.uploadFiles(uploadId, files)).body).toMatchObject({ accepted: 2 });
    await ownerA.trpc.uploads.finish.mutate({ projectId, uploadId });

    const images = (await ownerB.trpc.images.list.query({ projectId })).items;
    expect(images).toHaveLength(2);
    const one = images.find((i) => i.filename.endsWith("one.png"))!;
    const original = await ownerB.fetch(`/api/images/${one.id}/original`);
    expect(original.status).toBe(200);
    expect(Buffer.from(await original.arrayBuffer()).equals(files[0]!.data)).toBe(true);
    const thumbnail = await ownerB.fetch(`/api/images/${one.id}/thumbnail`);
    expect([thumbnail.status, thumbnail.headers.get("content-type")]).toEqual([200, "image/webp"]);

    // A trainer talks to instance B, another to instance A: the checkpoint and the model cross over.
    const { token } = await ownerA.trpc.training.createToken.mutate({ projectId, name: "gpu box" });
    const viaB = createTrainerApi(b.baseUrl, token);
    const viaA = createTrainerApi(a.baseUrl, token);
    expect((await viaA.trainingImage(one.id)).length).toBeGreaterThan(0);
    const lease = await viaB.trpc.claimLease.mutate({ projectId, holder: "test" });
    if (!lease.ok) throw new Error("no lease");
    const checkpoint = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 251);
    await viaB.putCheckpoint(projectId, lease.leaseId, "pretrain", checkpoint);
    expect(Buffer.compare(Buffer.from((await viaA.getCheckpoint(projectId, "pretrain"))!), Buffer.from(checkpoint))).toBe(0);
    const classIds = (await ownerA.trpc.classes.list.query({ projectId })).map((c) => c.id);
    const version = await viaB.publishModel(projectId, lease.leaseId, { stage: "FINETUNE", classIds, metrics: null, provenance: {}, imageCount: 2, labelledCount: 1 }, [
      { path: "teacher/model.json", bytes: new TextEncoder().encode('{"format":"layers-model"}') },
    ]);
    expect((await viaA.modelFile(version.id, "teacher", "model.json")).toString()).toBe('{"format":"layers-model"}');
    const zip = await ownerA.fetch(`/api/projects/${projectId}/export?format=zip`);
    expect(zip.status).toBe(200);
    expect((await zip.arrayBuffer()).byteLength).toBeGreaterThan(files[0]!.data.length);

    const keys = await s3.listKeys();
    expect(keys.every((k) => k.startsWith("team/"))).toBe(true);
    expect(keys).toEqual(expect.arrayContaining([`team/checkpoints/${projectId}/pretrain`, `team/models/${projectId}/${version.id}/teacher/model.json`]));
    expect(keys.filter((k) => k.startsWith("team/originals/"))).toHaveLength(2);
    // Neither instance wrote a file of its own.
    expect(fs.readdirSync(a.storeDir)).toEqual([]);
    expect(fs.readdirSync(b.storeDir)).toEqual([]);

    await ownerB.trpc.projects.delete.mutate({ projectId, confirmName: "Shared" });
    expect(await s3.listKeys()).toEqual([]);
    expect((await ownerA.fetch(`/api/images/${one.id}/original`)).status).toBe(404);
  });
});
