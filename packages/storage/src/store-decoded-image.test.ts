import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeImage, LocalImageStore, storeDecodedImage } from "./index";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "fewlabel-ingest-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("storeDecodedImage", () => {
  it("stores original, thumbnail and training copy once, and reports duplicates", async () => {
    const store = new LocalImageStore(root);
    const bytes = await sharp({ create: { width: 64, height: 48, channels: 3, background: "#3366cc" } }).jpeg().toBuffer();
    const decoded = await decodeImage(bytes);
    const first = await storeDecodedImage(store, decoded);
    expect(first).toMatchObject({ hash: decoded.hash, format: "jpeg", width: 64, height: 48, byteSize: bytes.length, isNew: true });
    expect((await store.get(first.originalKey)).equals(bytes)).toBe(true);
    expect((await store.get(first.thumbnailKey)).equals(decoded.thumbnail)).toBe(true);
    expect((await store.get(first.trainingKey)).equals(decoded.training)).toBe(true);
    expect((await storeDecodedImage(store, decoded)).isNew).toBe(false);
  });
});
