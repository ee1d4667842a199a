import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildZip, deflatedZeros } from "../test/zip-fixture";
import { ArchiveError, readZipArchive, type ZipEntry, type ZipLimits } from "./index";

// 200 MB of zeros, deflated once (about 200 KB) and shared by the zip-bomb tests.
let zeros: Promise<{ compressed: Buffer; crc: number }> | undefined;
const twoHundredMbOfZeros = () => (zeros ??= deflatedZeros(200 * 1024 * 1024));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "fewlabel-zip-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeTemp(name: string, bytes: Buffer): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  return file;
}

async function readAll(source: string | Buffer, limits?: Partial<ZipLimits>): Promise<ZipEntry[]> {
  const entries: ZipEntry[] = [];
  for await (const entry of readZipArchive(source, limits)) entries.push(entry);
  return entries;
}

const summary = (entries: ZipEntry[]) => entries.map((e) => (e.kind === "file" ? `${e.path}: ${e.bytes.toString()}` : `${e.path} -> ${e.code}`));

async function archiveError(promise: Promise<unknown>): Promise<ArchiveError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ArchiveError);
  expect((error as ArchiveError).message.length).toBeGreaterThan(10);
  return error as ArchiveError;
}

describe("readZipArchive", () => {
  it("yields files with normalised paths and quietly skips folders, __MACOSX and dotfiles", async () => {
    const zip = buildZip([
      { name: "root/", data: Buffer.alloc(0), method: 0 },
      { name: "root/cat/a.png", data: Buffer.from("A") },
      { name: "root\\dog\\b.png", data: Buffer.from("B"), method: 0 },
      { name: "./c.png", data: Buffer.from("C") },
      { name: "__MACOSX/root/cat/._a.png", data: Buffer.from("x") },
      { name: "root/.DS_Store", data: Buffer.from("x") },
      { name: "root/.git/config", data: Buffer.from("x") },
    ]);
    const file = await writeTemp("plain.zip", zip);
    const expected = ["root/cat/a.png: A", "root/dog/b.png: B", "c.png: C"];
    expect(summary(await readAll(file))).toEqual(expected);
    expect(summary(await readAll(zip))).toEqual(expected); // from a Buffer too
  });

  it("rejects zip-slip paths per entry, with a reason, and keeps the good entries", async () => {
    const zip = buildZip([
      { name: "../evil.png", data: Buffer.from("x") },
      { name: "/abs.png", data: Buffer.from("x") },
      { name: "C:/windows/x.png", data: Buffer.from("x") },
      { name: "cats/..\\..\\sneaky.png", data: Buffer.from("x") },
      { name: "good.png", data: Buffer.from("ok") },
    ]);
    const entries = await readAll(zip);
    expect(summary(entries)).toEqual(["../evil.png -> unsafe_path", "/abs.png -> unsafe_path", "C:/windows/x.png -> unsafe_path", "cats/../../sneaky.png -> unsafe_path", "good.png: ok"]);
    const messages = entries.flatMap((e) => (e.kind === "rejected" ? [e.message] : []));
    expect(messages[0]).toMatch(/"\.\."/);
    expect(messages[1]).toMatch(/Absolute path/);
    expect(messages[2]).toMatch(/drive letter/);
  });

  it("rejects nested archives by name and by content", async () => {
    const inner = buildZip([{ name: "x.png", data: Buffer.from("x") }]);
    const zip = buildZip([
      { name: "more.zip", data: inner },
      { name: "disguised.png", data: inner },
      { name: "photo.png", data: Buffer.from("fine") },
    ]);
    const entries = await readAll(zip);
    expect(summary(entries)).toEqual(["more.zip -> nested_archive", "disguised.png -> nested_archive", "photo.png: fine"]);
  });

  it("aborts a zip bomb from its header without inflating it", async () => {
    const { compressed, crc } = await twoHundredMbOfZeros();
    expect(compressed.length).toBeLessThan(1024 * 1024);
    const size = 200 * 1024 * 1024;
    const zip = buildZip([
      { name: "bomb.png", compressed, crc, uncompressedSize: size },
      { name: "after.png", data: Buffer.from("still read") },
    ]);
    const entries = await readAll(zip, { maxEntryBytes: 50 * 1024 * 1024 });
    expect(summary(entries)).toEqual(["bomb.png -> too_large_bytes", "after.png: still read"]);
    expect(entries[0]).toMatchObject({ message: expect.stringMatching(/200\.0 MB.*50\.0 MB/) });
  });

  it("catches a zip bomb whose header lies about its size, while streaming", async () => {
    const { compressed, crc } = await twoHundredMbOfZeros();
    // Header claims 40 MB (under the 50 MB limit): only counting real inflated bytes can catch it.
    const zip = buildZip([{ name: "liar.png", compressed, crc, declaredSize: 40 * 1024 * 1024 }]);
    expect(summary(await readAll(zip))).toEqual(["liar.png -> compression_ratio"]);
    // With the ratio guard off, yauzl's own size check stops it at the declared size.
    const entries = await readAll(zip, { maxCompressionRatio: Infinity });
    expect(summary(entries)).toEqual(["liar.png -> corrupt"]);
    expect(entries[0]).toMatchObject({ message: expect.stringMatching(/too many bytes/) });
  });

  it("counts real bytes against maxEntryBytes and maxTotalBytes", async () => {
    const zip = buildZip([
      { name: "a.bin", data: Buffer.alloc(3000, 1) },
      { name: "b.bin", data: Buffer.alloc(3000, 2) },
      { name: "c.bin", data: Buffer.alloc(3000, 3) },
    ]);
    expect(summary(await readAll(zip, { maxEntryBytes: 2999 })).every((s) => s.endsWith("too_large_bytes"))).toBe(true);
    const error = await archiveError(readAll(zip, { maxTotalBytes: 7000 }));
    expect(error.code).toBe("too_large_total");
  });

  it("refuses archives with too many entries before reading any", async () => {
    const zip = buildZip([1, 2, 3].map((i) => ({ name: `${i}.png`, data: Buffer.from("x") })));
    expect((await archiveError(readAll(zip, { maxEntries: 2 }))).code).toBe("too_many_entries");
  });

  it("rejects encrypted entries, unknown compression methods, checksum and size mismatches", async () => {
    const zip = buildZip([
      { name: "secret.png", data: Buffer.from("x"), encrypted: true },
      { name: "bzip2.png", data: Buffer.from("x"), method: 12 },
      { name: "flipped.png", data: Buffer.from("abc"), method: 0, crc: 12345 },
      { name: "flipped-deflated.png", data: Buffer.alloc(4000, 5), crc: 12345 },
      { name: "understated.png", data: Buffer.alloc(5000, 1), declaredSize: 1000 },
      { name: "overstated.png", data: Buffer.alloc(5000, 1), declaredSize: 9000 },
      { name: "fine.png", data: Buffer.from("fine") },
    ]);
    expect(summary(await readAll(zip))).toEqual([
      "secret.png -> encrypted",
      "bzip2.png -> unsupported_compression",
      "flipped.png -> corrupt",
      "flipped-deflated.png -> corrupt",
      "understated.png -> corrupt",
      "overstated.png -> corrupt",
      "fine.png: fine",
    ]);
  });

  it("gives a clear error for a file that is not a zip, or a truncated one", async () => {
    const notZip = await writeTemp("not.zip", Buffer.from("this is plain text, not an archive"));
    const error = await archiveError(readAll(notZip));
    expect(error.code).toBe("corrupt_archive");
    expect(error.message).toMatch(/not a readable zip archive/);

    const zip = buildZip([{ name: "a.png", data: Buffer.alloc(5000, 7) }]);
    const truncated = await writeTemp("truncated.zip", zip.subarray(0, zip.length - 30));
    expect((await archiveError(readAll(truncated))).code).toBe("corrupt_archive");
  });

  it("closes the archive when the consumer stops early", async () => {
    const file = await writeTemp("early.zip", buildZip([1, 2, 3].map((i) => ({ name: `${i}.png`, data: Buffer.from("x") }))));
    for await (const entry of readZipArchive(file)) {
      expect(entry.kind).toBe("file");
      break;
    }
    // Reading again works (no lingering lock or state), which is all a caller can observe.
    expect((await readAll(file)).length).toBe(3);
  });
});
