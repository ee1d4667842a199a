import { describe, expect, it } from "vitest";
import type { UploadItem } from "./collect-files";
import { planChunks } from "./plan-chunks";

const item = (path: string, size: number): UploadItem => ({ path, file: { size } as File });

describe("planChunks", () => {
  it("puts label CSVs first, in requests of their own", () => {
    const chunks = planChunks([item("a.jpg", 10), item("labels.csv", 5), item("b.jpg", 10)]);
    expect(chunks.map((c) => [c.labels, c.items.map((i) => i.path)])).toEqual([
      [true, ["labels.csv"]],
      [false, ["a.jpg", "b.jpg"]],
    ]);
  });

  it("caps the files and bytes of a request, but never splits a file", () => {
    const limits = { files: 3, bytes: 100 };
    const items = [item("1", 40), item("2", 40), item("3", 40), item("4", 10), item("5", 10), item("6", 10), item("7", 10), item("big.zip", 500)];
    const chunks = planChunks(items, limits);
    expect(chunks.map((c) => c.items.map((i) => i.path))).toEqual([["1", "2"], ["3", "4", "5"], ["6", "7"], ["big.zip"]]);
    expect(chunks.map((c) => c.archives)).toEqual([false, false, false, true]);
    expect(chunks.every((c) => c.items.length <= limits.files)).toBe(true);
  });
});
