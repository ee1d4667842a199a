// Uploads over real HTTP with real hostile files: each bad file gets a clear reason, the good ones go in, and the
// project stays intact. Labels from folders and CSVs; duplicates; export round trip.
import { testDatabaseKinds } from "@fewlabel/db/testing";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import yauzl from "yauzl";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jpeg, makeZip, png, pngDeclaring } from "./fixtures";
import { startTestServer, type TestServer, TestUser } from "./harness";

function zipNames(buf: Buffer): Promise<string[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buf, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      const names: string[] = [];
      zip.on("entry", (e: yauzl.Entry) => {
        names.push(e.fileName);
        zip.readEntry();
      });
      zip.on("end", () => resolve(names));
      zip.readEntry();
    });
  });
}

describe.each(testDatabaseKinds)("uploads on %s", (kind) => {
  let t: TestServer;
  let owner: TestUser;
  let projectId: string;

  beforeAll(async () => {
    t = await startTestServer(kind);
    owner = await TestUser.signUp(t.baseUrl, "owner@example.com");
    ({ id: projectId } = await owner.trpc.projects.create.mutate({ name: "Ingest", classes: [{ name: "shirt", hotkey: "1" }] }));
  });
  afterAll(() => t?.close());

  it("takes the good files and lists every hostile one with its reason", async () => {
    const { uploadId } = await owner.trpc.uploads.start.mutate({ projectId });
    const goodJpeg = await jpeg(1);
    const bomb = makeZip([{ name: "zeros.png", data: Buffer.alloc(200 * 1024 * 1024), deflate: true }]);
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const slip = makeZip([
      { name: "../evil.png", data: await png(10) },
      { name: "/abs.png", data: await png(11) },
      { name: "ok/inside.png", data: await png(12) },
    ]);
    const r = await owner.uploadFiles(uploadId, [
      { path: "good1.png", data: await png(1) },
      { path: "good2.jpg", data: goodJpeg },
      { path: "truncated.jpg", data: goodJpeg.subarray(0, Math.floor(goodJpeg.length / 2)) },
      { path: "huge.png", data: pngDeclaring(100_000, 100_000) },
      { path: "notes.jpg", data: Buffer.from("this is a text file, not a JPEG\n".repeat(20)) },
      { path: "empty.png", data: Buffer.alloc(0) },
      { path: "slip.zip", data: slip },
      { path: "bomb.zip", data: bomb },
    ]);
    expect(r.status).toBe(200);
    const done = r.body as { accepted: number; rejected: { path: string; code: string; message: string }[] };
    expect(done.accepted).toBe(3);
    const byPath = new Map(done.rejected.map((x) => [x.path, x]));
    expect(byPath.get("truncated.jpg")?.code).toBe("corrupt");
    expect(byPath.get("huge.png")?.code).toBe("too_many_pixels");
    expect(byPath.get("notes.jpg")?.code).toBe("not_an_image");
    expect(byPath.get("empty.png")?.code).toBe("empty");
    expect([...byPath.keys()].filter((p) => p.startsWith("slip.zip/"))).toHaveLength(2);
    const bombRejection = [...byPath.entries()].find(([p]) => p.startsWith("bomb.zip"));
    expect(bombRejection?.[1].code).toMatch(/too_large|bomb/);
    for (const x of done.rejected) expect(x.message.length).toBeGreaterThan(10);

    const list = await owner.trpc.images.list.query({ projectId });
    expect(list.items.map((i) => i.filename).sort()).toEqual(["good1.png", "good2.jpg", "ok/inside.png"]);
    // The grid's orders: by name, and newest first (the reverse of upload order).
    const sorted = async (sort: "oldest" | "newest" | "name") =>
      (await owner.trpc.images.list.query({ projectId, filter: { status: "all", classId: null, search: "", sort } })).items.map((i) => i.filename);
    expect(await sorted("name")).toEqual(["good1.png", "good2.jpg", "ok/inside.png"]);
    expect(await sorted("newest")).toEqual((await sorted("oldest")).reverse());
    const finished = await owner.trpc.uploads.finish.mutate({ projectId, uploadId });
    expect(finished.accepted).toBe(3);
    expect((finished.rejected as unknown[]).length).toBe(done.rejected.length);
    // Thumbnails and originals are real images of the right type.
    const thumb = await owner.fetch(`/api/images/${list.items[0]!.id}/thumbnail`);
    expect(thumb.headers.get("content-type")).toBe("image/webp");
    expect(
      Buffer.from(await thumb.arrayBuffer())
        .subarray(8, 12)
        .toString(),
    ).toBe("WEBP");
  });

  it("stores the same content once, takes folder and CSV labels, and exports them", async () => {
    const { id: pid } = await owner.trpc.projects.create.mutate({ name: "Labels & stuff" });
    const { uploadId } = await owner.trpc.uploads.start.mutate({ projectId: pid });
    const csv = Buffer.from('filename,label\r\n"loose-a.png",coat\nloose-b.png,"bag"\nmissing.png,coat\n');
    const zip = makeZip([
      { name: "dataset/sneaker/1.png", data: await png(21) },
      { name: "dataset/sneaker/2.png", data: await png(22) },
      { name: "dataset/bag/3.png", data: await png(23) },
    ]);
    const first = await owner.uploadFiles(uploadId, [
      { path: "labels.csv", data: csv },
      { path: "fashion.zip", data: zip },
    ]);
    expect(first.body).toMatchObject({ accepted: 3, labelled: 3 });
    // Second request of the same upload: the CSV sent earlier still applies; a duplicate of 1.png is not a new image.
    const second = await owner.uploadFiles(uploadId, [
      { path: "loose-a.png", data: await png(24) },
      { path: "loose-b.png", data: await png(25) },
      { path: "copy-of-1.png", data: await png(21) },
      { path: "unlabelled.png", data: await png(26) },
    ]);
    expect(second.body).toMatchObject({ accepted: 3, duplicates: 1, labelled: 2 });

    const stats = await owner.trpc.images.stats.query({ projectId: pid });
    expect(stats).toMatchObject({ total: 6, labelled: 5, unlabelled: 1 });
    const classes = await owner.trpc.classes.list.query({ projectId: pid });
    const count = (name: string) => stats.perClass.find((p) => p.classId === classes.find((c) => c.name === name)?.id)?.count;
    expect([count("sneaker"), count("bag"), count("coat")]).toEqual([2, 2, 1]);

    const filtered = await owner.trpc.images.list.query({ projectId: pid, filter: { status: "unlabelled", classId: null, search: "" } });
    expect(filtered.items.map((i) => i.filename)).toEqual(["unlabelled.png"]);

    const csvRes = await owner.fetch(`/api/projects/${pid}/export?format=csv`);
    expect(csvRes.headers.get("content-disposition")).toContain("attachment");
    const lines = (await csvRes.text()).trim().split(/\r?\n/);
    expect(lines[0]).toBe("filename,label,annotator,source,labelled_at");
    expect(lines).toHaveLength(7);
    expect(lines.find((l) => l.startsWith("loose-a.png"))).toMatch(/^loose-a\.png,coat,owner@example\.com,import,\d{4}-/);
    expect(lines.find((l) => l.startsWith("unlabelled.png"))).toBe("unlabelled.png,,,,");

    const json = (await (await owner.fetch(`/api/projects/${pid}/export?format=json`)).json()) as { filename: string; label: string }[];
    expect(json).toHaveLength(6);
    expect(json.find((j) => j.filename === "dataset/bag/3.png")?.label).toBe("bag");

    const zipRes = await owner.fetch(`/api/projects/${pid}/export?format=zip`);
    const names = await zipNames(Buffer.from(await zipRes.arrayBuffer()));
    expect(names.sort()).toEqual(["_unlabelled/unlabelled.png", "bag/3.png", "bag/loose-b.png", "coat/loose-a.png", "sneaker/1.png", "sneaker/2.png"]);
  });
  it("keeps UTF-8 file names, and drops NUL and bidi-override characters from file, entry and CSV names", async () => {
    const { id: pid } = await owner.trpc.projects.create.mutate({ name: "Names" });
    const { uploadId } = await owner.trpc.uploads.start.mutate({ projectId: pid });
    const csv = Buffer.from("filename,label\ncafé.png,dre\u0000ss\n");
    const zip = makeZip([{ name: "nul/zip\u0000ped.png", data: await png(41) }]);
    const res = await owner.uploadFiles(uploadId, [
      { path: "labels.csv", data: csv },
      { path: "café.png", data: await png(42) },
      { path: "invoice-\u202Egnp.exe.png", data: await png(43) },
      { path: "names.zip", data: zip },
    ]);
    expect(res.status).toBe(200);
    // The entry whose name holds a NUL is refused with its reason (its name shown without the NUL); the batch completes.
    expect(res.body).toMatchObject({ type: "done", accepted: 2, labelled: 1, rejected: [{ path: "names.zip/nul/zipped.png", code: "unsafe_path" }] });
    const names = (await owner.trpc.images.list.query({ projectId: pid })).items.map((i) => i.filename).sort();
    expect(names).toEqual(["café.png", "invoice-gnp.exe.png"]);
    // "dre\0ss" became "dress".
    const classes = (await owner.trpc.classes.list.query({ projectId: pid })).map((c) => c.name).sort();
    expect(classes).toEqual(["dress"]);
    expect(classes.some((c) => c.includes("\u0000"))).toBe(false);
  });

  it("leaves nothing on disk when an archive upload is cut off or is not multipart at all", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fewlabel-upload-test-"));
    const before = process.env.TMPDIR;
    process.env.TMPDIR = tmp; // the server runs in this process: its spool folders go here
    try {
      const { uploadId } = await owner.trpc.uploads.start.mutate({ projectId });
      const { port } = new URL(t.baseUrl);
      const boundary = "----fewlabelcut";
      const head = `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="big.zip"\r\ncontent-type: application/zip\r\n\r\n`;
      const socket = net.connect(Number(port), "127.0.0.1");
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      socket.write(
        `POST /api/uploads/${uploadId}/files HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncookie: ${owner.cookie}\r\n` +
          `content-type: multipart/form-data; boundary=${boundary}\r\ncontent-length: ${3 * 2 ** 30}\r\n\r\n${head}`,
      );
      const chunk = Buffer.alloc(1024 * 1024, 7);
      for (let i = 0; i < 8; i++) await new Promise((resolve) => socket.write(chunk, resolve));
      await new Promise((r) => setTimeout(r, 300));
      expect(fs.readdirSync(tmp).length).toBe(1); // the archive was being spooled
      socket.destroy();
      await expect.poll(() => fs.readdirSync(tmp), { timeout: 5_000 }).toEqual([]);

      // A loose image is spooled to disk as it arrives too (memory holds a chunk, not the file), and is gone after a cut.
      const loose = net.connect(Number(port), "127.0.0.1");
      await new Promise<void>((resolve) => loose.once("connect", () => resolve()));
      loose.write(
        `POST /api/uploads/${uploadId}/files HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncookie: ${owner.cookie}\r\n` +
          `content-type: multipart/form-data; boundary=${boundary}\r\ncontent-length: ${40 * 2 ** 20}\r\n\r\n` +
          head.replace("big.zip", "big.png").replace("application/zip", "image/png"),
      );
      for (let i = 0; i < 4; i++) await new Promise((resolve) => loose.write(chunk, resolve));
      await new Promise((r) => setTimeout(r, 300));
      const [spoolDir] = fs.readdirSync(tmp);
      const spooled = fs.readdirSync(path.join(tmp, spoolDir!)).map((f) => fs.statSync(path.join(tmp, spoolDir!, f)).size);
      expect(spooled).toHaveLength(1);
      expect(spooled[0]).toBeGreaterThan(2 * 2 ** 20);
      loose.destroy();
      await expect.poll(() => fs.readdirSync(tmp), { timeout: 5_000 }).toEqual([]);

      const res = await owner.fetch(`/api/uploads/${uploadId}/files`, { method: "POST", headers: { "content-type": "multipart/form-data; boundary=x" }, body: "not multipart" });
      expect(res.status).toBe(400);
      expect(fs.readdirSync(tmp)).toEqual([]);
      // The project took no damage: the upload can still be used.
      const ok = await owner.uploadFiles(uploadId, [{ path: "after.png", data: await png(44) }]);
      expect(ok.body).toMatchObject({ type: "done", accepted: 1 });
    } finally {
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
  it("sweeps spool folders that a crashed server left, and only old ones", async () => {
    const { sweepUploadLeftovers } = await import("@fewlabel/api");
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fewlabel-sweep-test-"));
    try {
      const old = path.join(tmp, "fewlabel-upload-old");
      const fresh = path.join(tmp, "fewlabel-upload-fresh");
      const other = path.join(tmp, "someone-else");
      for (const d of [old, fresh, other]) {
        fs.mkdirSync(d);
        fs.writeFileSync(path.join(d, "0.zip"), "x");
      }
      const hoursAgo = new Date(Date.now() - 3 * 3600_000);
      fs.utimesSync(old, hoursAgo, hoursAgo);
      fs.utimesSync(other, hoursAgo, hoursAgo);
      expect(sweepUploadLeftovers(3600_000, tmp)).toBe(1);
      expect(fs.readdirSync(tmp).sort()).toEqual(["fewlabel-upload-fresh", "someone-else"]);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
  it("reads past a file over the limits, but cuts off a request that goes on sending far beyond them", async () => {
    const { uploadLimits } = await import("@fewlabel/api");
    const saved = { ...uploadLimits };
    const { uploadId } = await owner.trpc.uploads.start.mutate({ projectId });
    try {
      Object.assign(uploadLimits, { looseFileBytes: 4_000, looseBytesPerRequest: 8_000 });
      const small = await owner.uploadFiles(uploadId, [
        { path: "ok.png", data: await png(51) },
        { path: "big.png", data: Buffer.alloc(6_000, 1) },
      ]);
      expect(small.status).toBe(200);
      expect(small.body).toMatchObject({ type: "done", accepted: 1, rejected: [{ path: "big.png", code: "too_large_bytes" }] });
      const flood = await owner.uploadFiles(uploadId, [{ path: "flood.png", data: Buffer.alloc(64_000, 1) }]);
      expect(flood.status).toBe(413);
      expect(flood.body.error).toMatch(/Too much data/);
    } finally {
      Object.assign(uploadLimits, saved);
    }
  });
});
