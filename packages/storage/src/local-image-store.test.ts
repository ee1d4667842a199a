import { mkdtemp, readdir, rm, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { buffer } from "node:stream/consumers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { assertValidKey, ImageNotFoundError, InvalidKeyError, LocalImageStore, originalKey, sha256Hex, SizeLimitError, thumbnailKey, trainingKey } from "./index";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "fewlabel-store-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

describe("keys", () => {
  const hash = sha256Hex(Buffer.from("hello"));

  it("derives sharded, distinct keys from a content hash", () => {
    expect(hash).toBe("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    expect(originalKey(hash)).toBe(`originals/2c/${hash}`);
    expect(thumbnailKey(hash)).toBe(`thumbnails/2c/${hash}.webp`);
    expect(trainingKey(hash, 128)).toBe(`training/2c/${hash}.png`);
    expect(trainingKey(hash, 256)).toBe(`training-256/2c/${hash}.png`);
    expect(() => trainingKey(hash, 0)).toThrow(InvalidKeyError);
  });

  it("refuses anything that is not a sha256 hex digest", () => {
    expect(() => originalKey("../../etc/passwd")).toThrow(InvalidKeyError);
    expect(() => originalKey(hash.toUpperCase())).toThrow(InvalidKeyError);
  });

  it.each(["", "../x", "a/../b", "/abs", "a//b", "a/./b", ".hidden", "a\\b", "C:/x", "a/b/", "x\0y", "a b"])("rejects key %j", (key) => {
    expect(() => assertValidKey(key)).toThrow(InvalidKeyError);
  });
});

describe("LocalImageStore", () => {
  it("puts, gets, streams, checks and deletes", async () => {
    const store = new LocalImageStore(root);
    const bytes = Buffer.from("some image bytes");
    const key = originalKey(sha256Hex(bytes));
    expect(await store.has(key)).toBe(false);
    await store.put(key, bytes);
    expect(await store.has(key)).toBe(true);
    expect((await store.get(key)).equals(bytes)).toBe(true);
    expect((await buffer(store.createReadStream(key))).equals(bytes)).toBe(true);
    expect(await listFiles(root)).toEqual([path.join(...key.split("/"))]);
    await store.delete(key);
    expect(await store.has(key)).toBe(false);
    await store.delete(key); // deleting twice is fine
  });

  it("reports missing keys with ImageNotFoundError, for get and for streams", async () => {
    const store = new LocalImageStore(root);
    const key = thumbnailKey(sha256Hex(Buffer.from("absent")));
    await expect(store.get(key)).rejects.toBeInstanceOf(ImageNotFoundError);
    await expect(buffer(store.createReadStream(key))).rejects.toBeInstanceOf(ImageNotFoundError);
  });

  it("refuses traversal keys before touching the disk", async () => {
    const store = new LocalImageStore(path.join(root, "store"));
    await expect(store.put("../escaped", Buffer.from("x"))).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(store.get("originals/../../etc/passwd")).rejects.toBeInstanceOf(InvalidKeyError);
    expect(() => store.createReadStream("/etc/passwd")).toThrow(InvalidKeyError);
    await expect(store.has("..")).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(store.delete("a/../../b")).rejects.toBeInstanceOf(InvalidKeyError);
    expect(await listFiles(root)).toEqual([]);
  });

  it("never lets a reader see a partial write and leaves no temp files", async () => {
    const store = new LocalImageStore(root);
    const key = "originals/aa/bb/concurrent";
    const a = Buffer.alloc(8 * 1024 * 1024, 0x61);
    const b = Buffer.alloc(8 * 1024 * 1024, 0x62);
    await store.put(key, a);
    const writes = Promise.all([store.put(key, b), store.put(key, a), store.put(key, b)]);
    for (let i = 0; i < 20; i++) {
      const read = await store.get(key);
      expect(read.length).toBe(a.length);
      expect(read.equals(a) || read.equals(b)).toBe(true);
    }
    await writes;
    expect((await store.get(key)).equals(b) || (await store.get(key)).equals(a)).toBe(true);
    expect(await listFiles(root)).toEqual([path.join("originals", "aa", "bb", "concurrent")]);
  });

  // Small files take the synchronous write path, large ones the asynchronous one: both must clean up.
  it.each([1, 1024 * 1024])("cleans up its temp file when the rename fails (%i bytes)", async (size) => {
    const store = new LocalImageStore(root);
    const key = "originals/aa/bb/blocked";
    await mkdir(path.join(root, "originals", "aa", "bb", "blocked", "child"), { recursive: true });
    await expect(store.put(key, Buffer.alloc(size))).rejects.toThrow();
    const leftovers = (await readdir(path.join(root, "originals", "aa", "bb"))).filter((n) => n.startsWith("."));
    expect(leftovers).toEqual([]);
  });
});

describe("LocalImageStore.putStream", () => {
  async function* chunks(n: number, size: number) {
    for (let i = 0; i < n; i++) yield new Uint8Array(size).fill(i + 1);
  }

  it("writes a stream as it comes, and refuses one past the limit without touching the stored value", async () => {
    const store = new LocalImageStore(root);
    expect(await store.putStream("checkpoints/p/pretrain", chunks(4, 1000), 10_000)).toBe(4000);
    const stored = await store.get("checkpoints/p/pretrain");
    expect(stored.length).toBe(4000);
    expect(stored[3999]).toBe(4);
    await expect(store.putStream("checkpoints/p/pretrain", chunks(20, 1000), 10_000)).rejects.toBeInstanceOf(SizeLimitError);
    expect(Buffer.compare(await store.get("checkpoints/p/pretrain"), stored)).toBe(0);
    // No temporary file is left beside it.
    expect(await readdir(path.join(root, "checkpoints", "p"))).toEqual(["pretrain"]);
  });
});
