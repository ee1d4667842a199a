import { describe, expect, it } from "vitest";
import { armLabelSubset, keptPerClass, stratifiedHoldOut, stratifiedLabelSubset } from "./split";

// 3 interleaved classes of 100, 50 and 100 images, plus 50 unlabelled images (-1).
const labels: number[] = [];
for (let i = 0; i < 300; i++) labels.push(i % 3 === 0 ? 0 : i % 3 === 1 ? (i < 150 ? 1 : -1) : 2);
const countOf = (idx: ArrayLike<number>) => {
  const n = new Map<number, number>();
  for (const i of Array.from(idx)) n.set(labels[i]!, (n.get(labels[i]!) ?? 0) + 1);
  return n;
};
const perClass = countOf(labels.map((_, i) => i));

describe("stratifiedLabelSubset", () => {
  it("keeps the fraction of every class (at least one image each) and never an unlabelled image", () => {
    const subset = stratifiedLabelSubset(labels, 0.1, 7);
    const got = countOf(subset);
    expect(got.get(-1)).toBeUndefined();
    for (const c of [0, 1, 2]) expect(got.get(c)).toBe(keptPerClass(perClass.get(c)!, 0.1));
    expect([perClass.get(0), perClass.get(1), perClass.get(2)]).toEqual([100, 50, 100]);
    expect([got.get(0), got.get(1), got.get(2)]).toEqual([10, 5, 10]);
    expect(countOf(stratifiedLabelSubset(labels, 0.001, 7)).get(1)).toBe(1);
    expect(stratifiedLabelSubset(labels, 1, 7)).toHaveLength(250);
    expect(new Set(subset).size).toBe(subset.length);
    expect(Array.from(subset)).toEqual(Array.from(subset).sort((a, b) => a - b));
  });

  it("is a function of the seed: the same seed repeats the subset, another seed draws another", () => {
    const a = stratifiedLabelSubset(labels, 0.2, 1);
    expect(Array.from(stratifiedLabelSubset(labels, 0.2, 1))).toEqual(Array.from(a));
    expect(Array.from(stratifiedLabelSubset(labels, 0.2, 2))).not.toEqual(Array.from(a));
    // Smaller fractions of one seed are not required to nest, but they must still be stratified.
    expect(countOf(stratifiedLabelSubset(labels, 0.2, 2)).get(0)).toBe(20);
  });

  it("refuses fractions outside (0, 1]", () => {
    expect(() => stratifiedLabelSubset(labels, 0, 1)).toThrow(/label fraction/);
    expect(() => stratifiedLabelSubset(labels, 1.5, 1)).toThrow(/label fraction/);
  });
});

describe("stratifiedHoldOut", () => {
  it("holds out the fraction of every class, keeps one image of each class for training, and keeps unlabelled images in training", () => {
    const tiny = [...labels, 5, 6, 6]; // class 5 has one image (stays in training), class 6 two (one each side)
    const { train, test } = stratifiedHoldOut(tiny, 0.2, 3);
    expect(train.length + test.length).toBe(tiny.length);
    expect(new Set([...train, ...test]).size).toBe(tiny.length);
    const t = new Map<number, number>();
    for (const i of test) t.set(tiny[i]!, (t.get(tiny[i]!) ?? 0) + 1);
    expect([t.get(0), t.get(1), t.get(2), t.get(5), t.get(6), t.get(-1)]).toEqual([20, 10, 20, undefined, 1, undefined]);
    expect(Array.from(stratifiedHoldOut(tiny, 0.2, 3).test)).toEqual(Array.from(test));
    expect(Array.from(stratifiedHoldOut(tiny, 0.2, 4).test)).not.toEqual(Array.from(test));
  });
});

describe("armLabelSubset", () => {
  it("is every labelled image at 100%, and a stratified seeded draw of the labelled images below, with their labels", () => {
    const all = armLabelSubset(labels, 1, 7);
    expect(Array.from(all.indices)).toEqual(labels.flatMap((l, i) => (l >= 0 ? [i] : [])));
    const tenth = armLabelSubset(labels, 0.1, 7);
    expect([...countOf(tenth.indices)].sort()).toEqual([
      [0, 10],
      [1, 5],
      [2, 10],
    ]);
    expect(Array.from(tenth.labels)).toEqual(Array.from(tenth.indices, (i) => labels[i]));
    expect(Array.from(armLabelSubset(labels, 0.1, 7).indices)).toEqual(Array.from(tenth.indices));
    expect(Array.from(armLabelSubset(labels, 0.1, 8).indices)).not.toEqual(Array.from(tenth.indices));
  });
});
