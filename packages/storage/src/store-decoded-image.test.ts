import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeImage, getTrainingCopy, hasTrainingCopy, ImageNotFoundError, LocalImageStore, storeDecodedImage, trainingCopyFormat, trainingCopySide, trainingKey } from "./index";

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
    const bytes = await sharp({ create: { width: 64, height: 48, channels: 3, background: "#3366cc" } })
      .jpeg()
      .toBuffer();
    const decoded = await decodeImage(bytes);
    const first = await storeDecodedImage(store, decoded);
    expect(first).toMatchObject({ hash: decoded.hash, format: "jpeg", width: 64, height: 48, byteSize: bytes.length, isNew: true });
    expect((await store.get(first.originalKey)).equals(bytes)).toBe(true);
    expect((await store.get(first.thumbnailKey)).equals(decoded.thumbnail)).toBe(true);
    expect((await store.get(first.trainingKey)).equals(decoded.training)).toBe(true);
    expect((await storeDecodedImage(store, decoded)).isNew).toBe(false);
  });
});

describe("training copies of another size", () => {
  it("are made once from the original when first asked for, and kept", async () => {
    const store = new LocalImageStore(root);
    const bytes = await sharp({ create: { width: 300, height: 150, channels: 3, background: "#3366cc" } })
      .jpeg()
      .toBuffer();
    const decoded = await decodeImage(bytes, { trainingMaxSide: 64 });
    await storeDecodedImage(store, decoded);
    expect(await hasTrainingCopy(store, decoded.hash, 64)).toBe(true);
    expect(await hasTrainingCopy(store, decoded.hash, 200)).toBe(false);
    const [a, b] = await Promise.all([getTrainingCopy(store, decoded.hash, 200), getTrainingCopy(store, decoded.hash, 200)]);
    expect(a.equals(b)).toBe(true);
    expect(await sharp(a).metadata()).toMatchObject({ width: 200, height: 100, format: "png" });
    expect((await store.get(trainingKey(decoded.hash, 200))).equals(a)).toBe(true);
    // A duplicate upload under a third size stores that size's copy too (the original is there already).
    const again = await storeDecodedImage(store, await decodeImage(bytes, { trainingMaxSide: 32 }));
    expect(again.isNew).toBe(false);
    expect(await hasTrainingCopy(store, decoded.hash, 32)).toBe(true);
    // No original, no copy: the store's not-found error, for the caller to report.
    await expect(getTrainingCopy(store, "0".repeat(64), 200)).rejects.toBeInstanceOf(ImageNotFoundError);
  });

  it("have a size setting that is checked", () => {
    expect(trainingCopySide({})).toBe(256);
    expect(trainingCopySide({ FEWLABEL_TRAINING_COPY_SIZE: "512" })).toBe(512);
    expect(() => trainingCopySide({ FEWLABEL_TRAINING_COPY_SIZE: "12" })).toThrow(/FEWLABEL_TRAINING_COPY_SIZE.*32 to 1024/);
    expect(() => trainingCopySide({ FEWLABEL_TRAINING_COPY_SIZE: "big" })).toThrow(/FEWLABEL_TRAINING_COPY_SIZE/);
    expect(trainingCopyFormat(256)).toBe("png-max256-v1");
  });
});
