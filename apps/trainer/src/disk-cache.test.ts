// Training copies kept on disk across restarts: a restarted trainer reads them instead of downloading, a file that
// fails its check is dropped and downloaded again, another server's copies are never used, and the cache stays
// within its bound. Against a real HTTP server and the trainer's own client, on a real directory.
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTrainerApi } from "./api-client";
import { DiskImageCache } from "./disk-cache";
import { ImageCache } from "./images";

const png = (v: number) =>
  sharp(Buffer.alloc(20 * 20, v), { raw: { width: 20, height: 20, channels: 1 } })
    .toColourspace("b-w")
    .png()
    .toBuffer();

describe("DiskImageCache", () => {
  let dir: string;
  let server: http.Server;
  let base: string;
  const copies = new Map<string, Buffer>();
  const served = new Map<string, number>();

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "fewlabel-disk-cache-"));
    for (const [id, v] of [
      ["a", 10],
      ["b", 120],
      ["c", 250],
    ] as const)
      copies.set(id, await png(v));
    server = http.createServer((req, res) => {
      const id = /^\/api\/images\/([^/]+)\/training$/.exec(req.url ?? "")?.[1] ?? "";
      served.set(id, (served.get(id) ?? 0) + 1);
      const bytes = copies.get(id);
      if (!bytes) return res.writeHead(404).end();
      res.writeHead(200, { "content-type": "image/png" }).end(bytes);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await fs.rm(dir, { recursive: true, force: true });
  });

  const images = [
    { id: "a", contentHash: "hash-a" },
    { id: "b", contentHash: "hash-b" },
    { id: "c", contentHash: "hash-c" },
  ];
  const fresh = (origin = base) => {
    const cache = new ImageCache(createTrainerApi(base, "flt_test"), { inputSize: 28, concurrency: 2, disk: new DiskImageCache(dir, 1 << 20), origin });
    cache.describe("png-max128-v1", images);
    return cache;
  };
  const pixelsOf = async (cache: ImageCache) => Array.from(await cache.tensor(["a", "b", "c"], 1).data());

  it("keeps downloads for the next start, checks them, and never shares them between servers", async () => {
    const first = fresh();
    expect(await first.load(["a", "b", "c"])).toEqual([]);
    expect(Object.fromEntries(served)).toEqual({ a: 1, b: 1, c: 1 });
    const expected = await pixelsOf(first);

    // A restart: a new cache on the same directory reads the copies instead of downloading them.
    const second = fresh();
    expect(await second.load(["a", "b", "c"])).toEqual([]);
    expect(Object.fromEntries(served)).toEqual({ a: 1, b: 1, c: 1 });
    expect(second.lastLoad).toEqual({ fromDisk: 3, downloaded: 0, requests: 0 });
    expect(await pixelsOf(second)).toEqual(expected);

    // A file altered on disk fails its check: dropped and downloaded again, the same pixels as before.
    const key = DiskImageCache.key(base, "png-max128-v1", "hash-b");
    const file = path.join(dir, key.slice(0, 2), key);
    const stored = await fs.readFile(file);
    stored[stored.length - 5] = stored[stored.length - 5]! ^ 0xff;
    await fs.writeFile(file, stored);
    const third = fresh();
    expect(await third.load(["a", "b", "c"])).toEqual([]);
    expect(Object.fromEntries(served)).toEqual({ a: 1, b: 2, c: 1 });
    expect(third.lastLoad).toEqual({ fromDisk: 2, downloaded: 1, requests: 1 });
    expect(await pixelsOf(third)).toEqual(expected);

    // Another server's images under the same content hashes are its own: downloaded, not taken from this one's.
    const other = fresh("https://another.example");
    await other.load(["a"]);
    expect(served.get("a")).toBe(2);
  });

  it("stays within its bound, dropping the least recently used", async () => {
    const small = await fs.mkdtemp(path.join(os.tmpdir(), "fewlabel-disk-cache-small-"));
    try {
      const disk = new DiskImageCache(small, 10_000);
      const keys = Array.from({ length: 6 }, (_, i) => DiskImageCache.key("k", String(i)));
      for (const [i, key] of keys.entries()) {
        await disk.write(key, Buffer.alloc(3_000, i));
        // Touch the first key after each write: it stays the most recently used.
        await new Promise((r) => setTimeout(r, 15));
        if (i > 0) expect(await disk.read(keys[0]!)).not.toBeNull();
      }
      await disk.prune();
      const kept = await Promise.all(keys.map(async (k) => (await disk.read(k)) !== null));
      expect(kept[0]).toBe(true);
      const size = kept.filter(Boolean).length * 3_032;
      expect(size).toBeLessThanOrEqual(10_000);
      expect(kept.slice(1, 3)).toEqual([false, false]);
      await expect(disk.read("not-a-key")).rejects.toThrow(/SHA-256/);
    } finally {
      await fs.rm(small, { recursive: true, force: true });
    }
  });
});
