import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalImageStore, readZipArchive, toCsv, toCsvCell, writeZip, type ZipSourceEntry } from "./index";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "fewlabel-export-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("writeZip", () => {
  it("round-trips buffers and store streams through readZipArchive", async () => {
    const store = new LocalImageStore(root);
    const stored = Buffer.alloc(300_000, 9);
    await store.put("training/aa/bb/one.png", stored);
    const entries: ZipSourceEntry[] = [
      { path: "cat/one.png", data: store.createReadStream("training/aa/bb/one.png") },
      { path: "dog/two.png", data: Buffer.from("two") },
      {
        path: "labels.csv",
        data: Buffer.from(
          toCsv([
            ["filename", "label"],
            ["cat/one.png", "cat"],
          ]),
        ),
      },
    ];
    async function* source() {
      yield* entries;
    }
    const zip = await buffer(writeZip(source()));
    const read: Record<string, Buffer> = {};
    for await (const entry of readZipArchive(zip)) {
      if (entry.kind !== "file") throw new Error(`unexpected rejection ${entry.message}`);
      read[entry.path] = entry.bytes;
    }
    expect(Object.keys(read)).toEqual(["cat/one.png", "dog/two.png", "labels.csv"]);
    expect(read["cat/one.png"]!.equals(stored)).toBe(true);
    expect(read["dog/two.png"]!.toString()).toBe("two");
    expect(read["labels.csv"]!.toString()).toBe("filename,label\r\ncat/one.png,cat\r\n");
  });

  it("pulls entries only as the consumer reads", async () => {
    let pulled = 0;
    async function* many() {
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield { path: `x/${i}.bin`, data: Buffer.alloc(64 * 1024, i & 0xff), compress: false };
      }
    }
    const output = writeZip(many());
    await new Promise((resolve) => setTimeout(resolve, 100)); // nobody reads yet
    expect(pulled).toBeLessThan(10); // a few entries in the pipe, not all 64 MB
    const zip = await buffer(output);
    expect(pulled).toBe(1000);
    expect(zip.length).toBeGreaterThan(1000 * 64 * 1024);
  });

  it("fails the stream for unsafe or duplicate paths, and when a source stream fails", async () => {
    await expect(buffer(writeZip([{ path: "../evil.png", data: Buffer.from("x") }]))).rejects.toThrow(/unusable/);
    await expect(
      buffer(
        writeZip([
          { path: "a.png", data: Buffer.from("x") },
          { path: "./a.png", data: Buffer.from("y") },
        ]),
      ),
    ).rejects.toThrow(/duplicate/);
    const failing = new Readable({
      read() {
        this.destroy(new Error("disk on fire"));
      },
    });
    await expect(buffer(writeZip([{ path: "a.png", data: failing }]))).rejects.toThrow(/disk on fire/);
  });
});

describe("toCsv", () => {
  it("quotes what needs quoting and ends lines with CRLF", () => {
    expect(toCsv([["a", 'say "hi"', "x,y", "line\nbreak", " padded", 1.5, null, true]])).toBe('a,"say ""hi""","x,y","line\nbreak"," padded",1.5,,true\r\n');
  });

  it.each([
    ["=SUM(A1:A2)", "'=SUM(A1:A2)"],
    ["+1", "'+1"],
    ["-1+2", "'-1+2"],
    ["@cmd", "'@cmd"],
    ["\tx", "'\tx"],
    ['=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
    ["cat", "cat"],
  ])("guards formula injection: %j -> %j", (input, output) => {
    expect(toCsvCell(input)).toBe(output);
  });

  it("leaves real numbers alone", () => {
    expect(toCsvCell(-3)).toBe("-3");
    expect(toCsvCell(Number.NaN)).toBe("");
  });
});
