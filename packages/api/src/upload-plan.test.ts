import { describe, expect, it } from "vitest";
import { planChunks, sendChunks } from "./upload-plan";

const f = (path: string, size: number) => ({ path, size });
const size = (x: { size: number }) => x.size;

describe("planChunks", () => {
  it("puts label CSVs first, in requests of their own", () => {
    const chunks = planChunks([f("a.jpg", 10), f("labels.csv", 5), f("b.jpg", 10)], size);
    expect(chunks.map((c) => [c.labels, c.items.map((i) => i.path)])).toEqual([
      [true, ["labels.csv"]],
      [false, ["a.jpg", "b.jpg"]],
    ]);
  });

  it("caps the files and bytes of a request, but never splits a file", () => {
    const limits = { files: 3, bytes: 100 };
    const items = [f("1", 40), f("2", 40), f("3", 40), f("4", 10), f("5", 10), f("6", 10), f("7", 10), f("big.zip", 500)];
    const chunks = planChunks(items, size, limits);
    expect(chunks.map((c) => c.items.map((i) => i.path))).toEqual([["1", "2"], ["3", "4", "5"], ["6", "7"], ["big.zip"]]);
    expect(chunks.map((c) => c.archives)).toEqual([false, false, false, true]);
  });
});

describe("sendChunks", () => {
  it("never has more than inFlight requests running and keeps order", async () => {
    let running = 0;
    let peak = 0;
    const out = await sendChunks([1, 2, 3, 4, 5], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5 * (6 - n)));
      running--;
      return n * 10;
    });
    expect(out).toEqual([10, 20, 30, 40, 50]);
    expect(peak).toBe(2);
  });
});
