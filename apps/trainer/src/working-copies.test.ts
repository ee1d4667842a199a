// Working copies past the memory budget go to a file on the trainer's disk and come back byte for byte; the budget
// is shared across projects, given back when a project is let go of, and a dead trainer's file is removed.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { WorkingCopy } from "./images";
import { MemoryBudget, WorkingCopies } from "./working-copies";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "fewlabel-working-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const image = (seed: number, width: number, height: number, channels: WorkingCopy["channels"]): WorkingCopy => ({
  data: Uint8Array.from({ length: width * height * channels }, (_, i) => (i * 31 + seed * 7) % 256),
  width,
  height,
  channels,
});

describe("WorkingCopies", () => {
  it("keeps images in memory up to the shared budget and the rest in a file, read back exactly", () => {
    const budget = new MemoryBudget(1000);
    const a = new WorkingCopies(budget, dir),
      b = new WorkingCopies(budget, dir);
    const images = [image(1, 10, 10, 3), image(2, 20, 10, 1), image(3, 12, 12, 4), image(4, 5, 7, 2)];
    a.set("x0", images[0]!); // 300 bytes
    b.set("y0", images[1]!); // 200: 500 of 1000 used by the two projects together
    a.set("x1", images[2]!); // 576: past the budget, to a's file
    a.set("x2", images[3]!); // 70: fits
    expect(budget.used).toBe(570);
    expect(a.bytes).toEqual({ memory: 370, disk: 576 });
    expect(fs.readdirSync(dir)).toHaveLength(1);
    for (const [id, img] of [
      ["x0", images[0]],
      ["x1", images[2]],
      ["x2", images[3]],
    ] as const)
      expect(a.get(id)).toEqual(img);
    expect(b.get("y0")).toEqual(images[1]);
    expect(a.channels("x1")).toBe(4);
    expect(a.get("y0")).toBeUndefined();
    // Letting go of a project gives its memory back and removes its file.
    a.clear();
    expect(budget.used).toBe(200);
    expect(fs.readdirSync(dir)).toHaveLength(0);
    expect(a.has("x1")).toBe(false);
    // Replacing an image does not count it twice.
    b.set("y0", images[1]!);
    expect(budget.used).toBe(200);
    b.clear();
    expect(budget.used).toBe(0);
  });

  it("removes the spill files of trainers that are no longer running", () => {
    const orphan = path.join(dir, "999999999-dead.bin"),
      other = path.join(dir, "notes.txt");
    fs.writeFileSync(orphan, "x");
    fs.writeFileSync(other, "kept");
    const c = new WorkingCopies(new MemoryBudget(0), dir);
    c.set("a", image(1, 4, 4, 1));
    expect(fs.existsSync(orphan)).toBe(false);
    expect(fs.existsSync(other)).toBe(true);
    expect(c.get("a")).toEqual(image(1, 4, 4, 1));
    c.clear();
  });
});
