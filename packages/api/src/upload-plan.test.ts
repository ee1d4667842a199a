import { describe, expect, it } from "vitest";
import { planUploadBatches, sendBatches } from "./upload-plan";

describe("planUploadBatches", () => {
  it("puts CSVs first and respects file and byte limits", () => {
    const files = [
      { path: "a.png", size: 10 },
      { path: "b.png", size: 10 },
      { path: "labels.csv", size: 5 },
      { path: "big.zip", size: 100 },
      { path: "c.png", size: 10 },
    ];
    const batches = planUploadBatches(files, { maxFiles: 2, maxBytes: 50 });
    expect(batches.map((b) => b.map((f) => f.path))).toEqual([["labels.csv", "a.png"], ["b.png"], ["big.zip"], ["c.png"]]);
  });
});

describe("sendBatches", () => {
  it("never has more than inFlight requests running and keeps order", async () => {
    let running = 0;
    let peak = 0;
    const out = await sendBatches([1, 2, 3, 4, 5], 2, async (n) => {
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
