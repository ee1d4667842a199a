// Decoding training copies: grayscale stays one channel, colour is three, and an image that cannot be read or decoded
// is skipped with its reason instead of failing the stage.
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { preprocessingFor, preprocessPixels } from "@fewlabel/ml";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createTrainerApi, TrainerHttpError, type TrainerApi } from "./api-client";
import { decodeWorkingCopy, downloadMayRecover, ImageCache, workingSide } from "./images";

const gray = (v: number) =>
  sharp(Buffer.alloc(40 * 30, v), { raw: { width: 40, height: 30, channels: 1 } })
    .toColourspace("b-w")
    .png()
    .toBuffer();
const rgb = () =>
  sharp(Buffer.alloc(20 * 20 * 3, 200), { raw: { width: 20, height: 20, channels: 3 } })
    .png()
    .toBuffer();

describe("training images", () => {
  it("keeps each training copy as 8-bit pixels on its own aspect ratio, grayscale as one channel", async () => {
    const g = await decodeWorkingCopy(await gray(77), 42);
    expect(g).toMatchObject({ channels: 1, width: 40, height: 30 });
    expect(g.data.length).toBe(40 * 30);
    expect(g.data[0]).toBe(77);
    const c = await decodeWorkingCopy(await rgb(), 42);
    expect(c).toMatchObject({ channels: 3, width: 20, height: 20 });
    // Larger than the working side: shrunk to it on the shorter side, aspect ratio kept.
    const big = await decodeWorkingCopy(await gray(10), 15);
    expect(big).toMatchObject({ width: 20, height: 15 });
    // A panorama's longer side is held to 3x the working side.
    const wide = await decodeWorkingCopy(
      await sharp(Buffer.alloc(400 * 20, 5), { raw: { width: 400, height: 20, channels: 1 } })
        .png()
        .toBuffer(),
      10,
    );
    expect(wide).toMatchObject({ width: 30, height: 2 });
    expect(workingSide(32)).toBe(48);
  });

  it("gives the models' preprocessing of the decoded pixels at their stored size (what preprocess.js computes from the file)", async () => {
    const w = 45,
      h = 30;
    const raw = Buffer.from(Array.from({ length: w * h * 3 }, (_, i) => (i * 37) % 256));
    const png = await sharp(raw, { raw: { width: w, height: h, channels: 3 } })
      .png()
      .toBuffer();
    const api = { trainingImage: async () => png } as unknown as TrainerApi;
    const cache = new ImageCache(api, { inputSize: 20, concurrency: 1 }); // working side 30: the 45 x 30 copy is kept as it is
    expect(await cache.load(["p"])).toEqual([]);
    const t = cache.tensor(["p"], 3);
    expect(Array.from(t.dataSync())).toEqual(Array.from(preprocessPixels({ data: raw, width: w, height: h, channels: 3 }, preprocessingFor(20, 3))));
    t.dispose();
    expect(cache.bytes).toEqual({ memory: w * h * 3, disk: 0 });
    // Gray + alpha stays gray and is flattened onto white (sharp's "b-w" alone would drop the alpha unflattened).
    const ga = await sharp(Buffer.from([0, 0, 0, 255, 0, 0, 0, 255]), { raw: { width: 2, height: 2, channels: 2 } })
      .toColourspace("b-w")
      .png()
      .toBuffer();
    const d = await decodeWorkingCopy(ga, 2);
    expect(d.channels).toBe(2);
    expect(Array.from(preprocessPixels(d, preprocessingFor(2, 1)))).toEqual([1, 0, 1, 0]);
  });

  it("skips images that fail to download or decode, and builds tensors of the rest", async () => {
    const good = await gray(255);
    const truncated = good.subarray(0, good.length - 20);
    const bytes: Record<string, Buffer | Error> = {
      a: good,
      b: truncated,
      c: Buffer.from("not an image"),
      d: new TrainerHttpError(404, "GET /api/images/d/training: 404 image not found"),
      e: await rgb(),
    };
    // The HTTP side is not under test here: a TrainerApi whose image download answers from the table above.
    const calls = new Map<string, number>();
    const api = {
      trainingImage: async (id: string) => {
        calls.set(id, (calls.get(id) ?? 0) + 1);
        const b = bytes[id]!;
        if (b instanceof Error) throw b;
        return b;
      },
    } as unknown as TrainerApi;
    const cache = new ImageCache(api, { inputSize: 28, concurrency: 2, retry: { attempts: 3, backoffMs: 1, retryAfterMs: 0 } });
    const skipped = await cache.load(Object.keys(bytes));
    expect(skipped.map((s) => s.imageId).sort()).toEqual(["b", "c", "d"]);
    expect(skipped.find((s) => s.imageId === "d")!.reason).toContain("404");
    expect(cache.channelsFor(["a", "e"])).toBe(3);
    expect(cache.channelsFor(["a"])).toBe(1);
    const t = cache.tensor(["a", "e"], 1);
    expect(t.shape).toEqual([2, 28, 28, 1]);
    const values = await t.data();
    expect(values[0]).toBeCloseTo(1, 5);
    expect(values[28 * 28]).toBeCloseTo(200 / 255, 2);
    t.dispose();
    // Asking again does not download again, and still reports the failures; a 404 or bytes that do not decode are
    // not fetched again, even with no pause between tries.
    expect((await cache.load(["a", "b", "d"])).map((s) => s.imageId)).toEqual(["b", "d"]);
    expect(Object.fromEntries(calls)).toEqual({ a: 1, b: 1, c: 1, d: 1, e: 1 });
  });

  it("tries a download again while the failure may pass: at once with back-off, and at a later load", async () => {
    expect([downloadMayRecover(new TrainerHttpError(500, "")), downloadMayRecover(new TrainerHttpError(429, "")), downloadMayRecover(new TypeError("fetch failed"))]).toEqual([true, true, true]);
    expect([downloadMayRecover(new TrainerHttpError(404, "")), downloadMayRecover(new TrainerHttpError(403, ""))]).toEqual([false, false]);
    // A real HTTP server behind the trainer's own client: "flaky" drops the connection, then answers 500, then the
    // image; "down" fails every time until it is repaired; "gone" is a 404.
    const png = await gray(128);
    const served = new Map<string, number>();
    let downRepaired = false;
    const server = http.createServer((req, res) => {
      const id = /^\/api\/images\/([^/]+)\/training$/.exec(req.url ?? "")?.[1] ?? "";
      const n = (served.get(id) ?? 0) + 1;
      served.set(id, n);
      expect(req.headers.authorization).toBe("Bearer flt_test");
      if (id === "flaky" && n === 1) return req.socket.destroy();
      if ((id === "flaky" && n === 2) || (id === "down" && !downRepaired)) return res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ error: "storage unavailable" }));
      if (id === "gone") return res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "image not found" }));
      res.writeHead(200, { "content-type": "image/png" }).end(png);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const api = createTrainerApi(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, "flt_test");
      const cache = new ImageCache(api, { inputSize: 28, concurrency: 2, retry: { attempts: 3, backoffMs: 5, retryAfterMs: 200 } });
      const skipped = await cache.load(["flaky", "down", "gone"]);
      expect(cache.has("flaky")).toBe(true);
      expect(skipped.map((s) => s.imageId).sort()).toEqual(["down", "gone"]);
      expect(skipped.find((s) => s.imageId === "down")!.reason).toContain("storage unavailable");
      expect(Object.fromEntries(served)).toEqual({ flaky: 3, down: 3, gone: 1 });
      // Before the pause has passed nothing is fetched again; after it, the transient failure is, the 404 is not.
      downRepaired = true;
      expect((await cache.load(["flaky", "down", "gone"])).map((s) => s.imageId).sort()).toEqual(["down", "gone"]);
      expect(served.get("down")).toBe(3);
      await new Promise((r) => setTimeout(r, 250));
      expect((await cache.load(["flaky", "down", "gone"])).map((s) => s.imageId)).toEqual(["gone"]);
      expect(cache.has("down")).toBe(true);
      expect(Object.fromEntries(served)).toEqual({ flaky: 3, down: 4, gone: 1 });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it("downloads a project's images in batches, asks again for what a broken-off answer did not bring, and falls back to one request an image", async () => {
    // A server speaking the training-images route's framing (packages/api's test covers the real one): the first
    // answer breaks off after two images; "gone" is not an image of the project; "bad" does not decode.
    const png = await gray(90);
    const frame = (status: number, payload: Buffer) => {
      const head = Buffer.alloc(5);
      head[0] = status;
      head.writeUInt32BE(payload.length, 1);
      return Buffer.concat([head, payload]);
    };
    const asked: string[][] = [];
    let single = 0;
    let hasRoute = true;
    const server = http.createServer(async (req, res) => {
      if (req.method === "GET") {
        single++;
        return res.writeHead(200, { "content-type": "image/png" }).end(png);
      }
      if (!hasRoute) return res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "No such API route." }));
      let body = "";
      for await (const c of req) body += c;
      const ids = (JSON.parse(body) as { ids: string[] }).ids;
      asked.push(ids);
      expect(req.url).toBe("/api/trainer/projects/p1/training-images");
      res.writeHead(200, { "content-type": "application/octet-stream" });
      for (const [k, id] of ids.entries()) {
        if (asked.length === 1 && k === 2) {
          // Half a frame, then the connection drops (once what was written is out: destroy discards unsent bytes).
          return res.write(frame(0, png).subarray(0, 9), () => setTimeout(() => res.socket?.destroy(), 50));
        }
        res.write(id === "gone" ? frame(1, Buffer.from("Image not found in this project.")) : frame(0, id === "bad" ? Buffer.from("not a png") : png));
      }
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const api = createTrainerApi(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, "flt_test");
      const ids = ["a", "b", "gone", "c", "bad", "d"];
      const cache = new ImageCache(api, { inputSize: 28, concurrency: 2, retry: { attempts: 3, backoffMs: 1, retryAfterMs: 0 }, projectId: "p1" });
      const skipped = await cache.load(ids);
      expect(skipped.map((s) => [s.imageId, s.reason])).toEqual([
        ["gone", "not found: Image not found in this project."],
        ["bad", expect.any(String)],
      ]);
      expect(["a", "b", "c", "d"].every((id) => cache.has(id))).toBe(true);
      // One group of six, broken off after two; the rest asked again, and nothing fetched one by one.
      expect(asked).toEqual([ids, ["gone", "c", "bad", "d"]]);
      expect(cache.lastLoad).toEqual({ fromDisk: 0, downloaded: 5, requests: 2 });
      expect(single).toBe(0);
      // Neither a refused id nor bytes that did not decode are asked for again.
      expect((await cache.load(ids)).map((s) => s.imageId)).toEqual(["gone", "bad"]);
      expect(asked.length).toBe(2);

      // A server without the route (an older one): the same load, one request an image.
      hasRoute = false;
      const older = new ImageCache(api, { inputSize: 28, concurrency: 2, projectId: "p1" });
      expect(await older.load(["x", "y", "z"])).toEqual([]);
      expect(single).toBe(3);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
