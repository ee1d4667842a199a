// Training copies at a configurable size (issue 14): the server keeps a PNG of every image for trainers, aspect ratio
// kept, at most FEWLABEL_TRAINING_COPY_SIZE on its longer side. A server started with another size serves copies of
// that size for images uploaded before, made from the originals in the background and on demand, and names the size
// in the ETag so that no cache takes one size for another.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trainingKey } from "@fewlabel/storage";
import { startTestServer, type TestServer, TestUser } from "./harness";

const photo = () =>
  sharp({ create: { width: 300, height: 200, channels: 3, background: "#808080" } })
    .composite([{ input: { create: { width: 100, height: 100, channels: 3, background: "#ff0000" } }, left: 20, top: 30 }])
    .jpeg()
    .toBuffer();
const small = () =>
  sharp(Buffer.alloc(40 * 40, 32), { raw: { width: 40, height: 40, channels: 1 } })
    .toColourspace("b-w")
    .png()
    .toBuffer();

describe("training copies at a configurable size", () => {
  let storeDir: string;
  let a: TestServer | undefined;
  let b: TestServer | undefined;

  beforeAll(() => {
    storeDir = fs.mkdtempSync(path.join(os.tmpdir(), "fewlabel-copies-"));
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    fs.rmSync(storeDir, { recursive: true, force: true });
  });

  it("serves copies of the configured size, and of a new size for images uploaded before it", async () => {
    a = await startTestServer("pglite", { trainingCopySide: 64, storeDir });
    const owner = await TestUser.signUp(a.baseUrl, "owner@example.com");
    const { id: projectId } = await owner.trpc.projects.create.mutate({ name: "Photos", classes: [{ name: "red", hotkey: "1" }] });
    const { uploadId } = await owner.trpc.uploads.start.mutate({ projectId });
    const r = await owner.uploadFiles(uploadId, [
      { path: "photo.jpg", data: await photo() },
      { path: "small.png", data: await small() },
    ]);
    expect((r.body as { accepted: number }).accepted).toBe(2);
    await owner.trpc.uploads.finish.mutate({ projectId, uploadId });
    const items = (await owner.trpc.images.list.query({ projectId })).items;
    const byName = new Map(items.map((i) => [i.filename, i.id]));
    const copy = async (user: TestUser, name: string) => {
      const res = await user.fetch(`/api/images/${byName.get(name)}/training`);
      expect(res.status).toBe(200);
      const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
      return { width: meta.width, height: meta.height, channels: meta.channels, etag: res.headers.get("etag") };
    };
    expect(await copy(owner, "photo.jpg")).toMatchObject({ width: 64, height: 43, channels: 3, etag: expect.stringMatching(/^"training-64-/) });
    // Never enlarged, gray stays gray.
    expect(await copy(owner, "small.png")).toMatchObject({ width: 40, height: 40, channels: 1 });

    // A second instance on the same database and store, configured for 160 px: its background pass makes the copies.
    b = await startTestServer("pglite", { shared: a, trainingCopySide: 160, storeDir });
    const hash = (await a.db.prisma.image.findFirstOrThrow({ where: { filename: "photo.jpg" } })).contentHash;
    const made = path.join(storeDir, trainingKey(hash, 160));
    for (let i = 0; i < 100 && !fs.existsSync(made); i++) await new Promise((res) => setTimeout(res, 100));
    expect(fs.existsSync(made)).toBe(true);
    const viaB = new TestUser(b.baseUrl);
    viaB.cookie = owner.cookie;
    const big = await copy(viaB, "photo.jpg");
    expect(big).toMatchObject({ width: 160, height: 107, channels: 3, etag: expect.stringMatching(/^"training-160-/) });
    // The first instance still serves its own size; both copies are kept.
    expect((await copy(owner, "photo.jpg")).width).toBe(64);

    // A copy that is missing (deleted here) is made again from the original when asked for.
    fs.rmSync(made);
    expect((await copy(viaB, "photo.jpg")).width).toBe(160);
    expect(fs.existsSync(made)).toBe(true);
  });
});
