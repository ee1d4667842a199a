import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { fashionMnistAvailable, loadFashionMnist } from "./fashion-mnist";
import { parseIdx } from "./idx";

describe("IDX", () => {
  it("parses a hand-made 2x2x3 file and refuses truncated or foreign data", () => {
    const header = Buffer.from([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3]);
    const body = Buffer.from(Array.from({ length: 12 }, (_, i) => i * 10));
    const parsed = parseIdx(Buffer.concat([header, body]));
    expect(parsed.shape).toEqual([2, 2, 3]);
    expect(Array.from(parsed.data)).toEqual(Array.from(body));
    expect(() => parseIdx(Buffer.concat([header, body.subarray(0, 5)]))).toThrow(/truncated/);
    expect(() => parseIdx(zlib.gzipSync(body))).toThrow(/magic/);
  });

  it.skipIf(!fashionMnistAvailable() && !process.env.CI)("reads the Fashion-MNIST test split from the Debian package", () => {
    const test = loadFashionMnist("test");
    expect([test.count, test.height, test.width]).toEqual([10_000, 28, 28]);
    const perClass = new Array(10).fill(0);
    for (const l of test.labels) perClass[l]++;
    expect(perClass).toEqual(new Array(10).fill(1000));
  });
});
