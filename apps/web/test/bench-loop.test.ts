// The pure parts of `npm run bench:loop` (apps/web/bench/loop/plan.ts): the zip's layout (which images are labelled
// by folder, stratified and seeded) and what the timeline says "at T".
import { labelFromFolderPath } from "@fewlabel/storage";
import { describe, expect, it } from "vitest";
import { accuracyAt, classFolderName, type TimelineEntry, zipLayout } from "../bench/loop/plan";
import { productEnv } from "../bench/loop/product";

const classes = ["T-shirt/top", "Trouser", "Bag"];
// 100 images a class, interleaved.
const labels = Array.from({ length: 300 }, (_, i) => i % 3);

describe("bench:loop zip layout", () => {
  it("puts a stratified fraction in class folders the product reads as those classes, the rest at the root", () => {
    const layout = zipLayout(labels, classes, 0.1, 0);
    expect(layout.map((e) => e.index)).toEqual(labels.map((_, i) => i));
    expect(new Set(layout.map((e) => e.path)).size).toBe(300);
    const labelled = layout.filter((e) => e.labelled);
    for (const c of [0, 1, 2]) expect(labelled.filter((e) => labels[e.index] === c)).toHaveLength(10);
    for (const e of layout) {
      // The label the upload route derives from the path: the class folder, or none at the root.
      expect(labelFromFolderPath(e.path)).toBe(e.labelled ? classFolderName(classes[labels[e.index]!]!) : null);
    }
    expect(classFolderName("T-shirt/top")).toBe("T-shirt-top");
  });

  it("draws the same images for the same seed and others for another seed", () => {
    const pick = (seed: number) =>
      zipLayout(labels, classes, 0.1, seed)
        .filter((e) => e.labelled)
        .map((e) => e.index);
    expect(pick(0)).toEqual(pick(0));
    expect(pick(1)).not.toEqual(pick(0));
    // At 1%, every class still gets a label.
    expect(
      new Set(
        zipLayout(labels, classes, 0.01, 0)
          .filter((e) => e.labelled)
          .map((e) => labels[e.index]),
      ),
    ).toEqual(new Set([0, 1, 2]));
  });
});

describe("bench:loop timeline at T", () => {
  const entry = (seconds: number, version: number, stage: string, kinds: Partial<Record<"teacher" | "student", number | null>>): TimelineEntry => ({
    seconds,
    version,
    stage,
    heldOutAccuracy: null,
    heldOut: null,
    ...Object.fromEntries(Object.entries(kinds).map(([k, v]) => [k, { testAccuracy: v }])),
  });
  const timeline = [
    entry(100, 1, "PRETRAIN", {}),
    entry(300, 2, "FINETUNE", { teacher: 70 }),
    entry(500, 3, "DISTIL", { student: 65 }),
    entry(800, 4, "FINETUNE", { teacher: 75 }),
    entry(1000, 5, "DISTIL", { student: 72 }),
  ];

  it("takes the newest version of the kind published by T", () => {
    expect(accuracyAt(timeline, "student", 600, 1800)).toBe(65);
    expect(accuracyAt(timeline, "teacher", 600, 1800)).toBe(70);
    expect(accuracyAt(timeline, "student", 1800, 1800)).toBe(72);
    expect(accuracyAt(timeline, "teacher", 1800, 1800)).toBe(75);
    // Published exactly at T counts.
    expect(accuracyAt(timeline, "student", 500, 1800)).toBe(65);
  });

  it("says null before the first one, when the newest could not be scored, and beyond what was watched", () => {
    expect(accuracyAt(timeline, "student", 400, 1800)).toBeNull();
    expect(accuracyAt([...timeline, entry(1200, 6, "DISTIL", { student: null })], "student", 1800, 1800)).toBeNull();
    expect(accuracyAt(timeline, "student", 1800, 240)).toBeNull();
  });

  it("orders by version, not by the order of the list", () => {
    expect(accuracyAt([...timeline].reverse(), "teacher", 1800, 1800)).toBe(75);
  });
});

describe("bench:loop product environment", () => {
  it("passes on none of the caller's fewlabel settings, only the data directory and the port", () => {
    const caller = Object.assign({} as NodeJS.ProcessEnv, {
      PATH: "/bin",
      FEWLABEL_PRETRAIN_STEPS: "5",
      FEWLABEL_LOCAL_TRAINER: "0",
      DATABASE_URL: "postgresql://x",
      REDIS_URL: "redis://x",
      PORT: "1",
      NODE_ENV: "test",
    });
    const env = productEnv(caller, { dataDir: "/tmp/d", port: 4321 });
    expect(Object.keys(env).filter((k) => k.startsWith("FEWLABEL_"))).toEqual(["FEWLABEL_DATA_DIR"]);
    expect(env).toMatchObject({ PATH: "/bin", FEWLABEL_DATA_DIR: "/tmp/d", PORT: "4321", NODE_ENV: "production" });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.REDIS_URL).toBeUndefined();
  });
});
