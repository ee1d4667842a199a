import { describe, expect, it } from "vitest";
import { gzipSync } from "node:zlib";
import { fashionMnistAvailable, loadFashionMnist } from "./fashion-mnist";
import { parseIdx } from "./idx";

function idx(type: number, shape: number[], body: number[], size: number): Uint8Array {
  const head = new Uint8Array(4 + 4 * shape.length);
  const v = new DataView(head.buffer);
  head.set([0, 0, type, shape.length]);
  shape.forEach((d, i) => v.setUint32(4 + 4 * i, d));
  const data = new Uint8Array(body.length * size);
  const dv = new DataView(data.buffer);
  body.forEach((x, i) => (size === 1 ? dv.setUint8(i, x) : dv.setInt32(i * 4, x)));
  return new Uint8Array([...head, ...data]);
}

describe("parseIdx (all element types)", () => {
  it("reads ubyte and int32 arrays, gzipped or not, with a limit", () => {
    const u = parseIdx(idx(0x08, [3, 2], [1, 2, 3, 4, 5, 6], 1));
    expect(u.shape).toEqual([3, 2]);
    expect(Array.from(u.data)).toEqual([1, 2, 3, 4, 5, 6]);
    const g = parseIdx(new Uint8Array(gzipSync(idx(0x0c, [2], [-7, 70000], 4))));
    expect(Array.from(g.data)).toEqual([-7, 70000]);
    const l = parseIdx(idx(0x08, [3, 2], [1, 2, 3, 4, 5, 6], 1), 2);
    expect(l.shape).toEqual([2, 2]);
    expect(Array.from(l.data)).toEqual([1, 2, 3, 4]);
  });

  it("rejects bad magic and truncated files", () => {
    expect(() => parseIdx(new Uint8Array([1, 2, 3, 4]))).toThrow(/magic/);
    expect(() => parseIdx(idx(0x08, [5], [1, 2], 1))).toThrow(/truncated/);
  });

  it.skipIf(!fashionMnistAvailable() && !process.env.CI)("loads the first images of Fashion-MNIST from the Debian package", () => {
    const d = loadFashionMnist("test", { limit: 100 });
    expect(d.count).toBe(100);
    expect([d.height, d.width]).toEqual([28, 28]);
    expect(d.pixels.length).toBe(100 * 28 * 28);
    expect(Math.max(...d.labels)).toBeLessThan(10);
    expect(new Set(d.labels).size).toBeGreaterThan(5);
  });
});
