// Which labels an arm may see: a stratified, seeded subset of the labelled training images (the same fraction of
// every class), and a stratified hold-out split for projects that bring no separate test set.
import { mulberry32 } from "@fewlabel/ml/random";

/** Seeded Fisher-Yates shuffle of a copy. */
function shuffled(values: number[], random: () => number): number[] {
  const a = values.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** Indices of the images of each class (labels < 0 are unlabelled and belong to no class). */
export function indicesByClass(labels: ArrayLike<number>): Map<number, number[]> {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    if (c < 0) continue;
    let list = byClass.get(c);
    if (!list) byClass.set(c, (list = []));
    list.push(i);
  }
  return byClass;
}

/** How many of `n` images of a class a fraction keeps: rounded, but at least one (a class with no label cannot be learnt). */
export const keptPerClass = (n: number, fraction: number): number => (n === 0 ? 0 : Math.min(n, Math.max(1, Math.round(n * fraction))));

/**
 * The labelled indices an arm trains with: `fraction` of every class, chosen by `seed`, sorted ascending.
 * The same (labels, fraction, seed) always gives the same subset, on any machine.
 */
export function stratifiedLabelSubset(labels: ArrayLike<number>, fraction: number, seed: number): Int32Array {
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`label fraction ${fraction}: expected a number in (0, 1]`);
  const out: number[] = [];
  // Classes in ascending order so the draw order (and thus the subset) does not depend on which class came first.
  const byClass = [...indicesByClass(labels)].sort(([a], [b]) => a - b);
  for (const [c, indices] of byClass) {
    const random = mulberry32((Math.imul(seed, 0x9e3779b1) ^ Math.imul(c + 1, 0x85ebca6b)) >>> 0);
    out.push(...shuffled(indices, random).slice(0, keptPerClass(indices.length, fraction)));
  }
  return Int32Array.from(out.sort((a, b) => a - b));
}

/**
 * The labelled training images (indices into the training set, and their labels) an arm at label fraction `f`
 * trains with: every labelled image at f = 1, otherwise `stratifiedLabelSubset` of them. Every arm at f and its
 * baselines use exactly this subset.
 */
export function armLabelSubset(trainLabels: ArrayLike<number>, f: number, seed: number): { indices: Int32Array; labels: Int32Array } {
  const labelled = Int32Array.from({ length: trainLabels.length }, (_, i) => i).filter((i) => trainLabels[i]! >= 0);
  const positions =
    f >= 1
      ? Int32Array.from(labelled.keys())
      : stratifiedLabelSubset(
          Array.from(labelled, (i) => trainLabels[i]!),
          f,
          seed,
        );
  const indices = Int32Array.from(positions, (p) => labelled[p]!);
  return { indices, labels: Int32Array.from(indices, (i) => trainLabels[i]!) };
}

/**
 * Splits the labelled images into a stratified held-out test part (`testFraction` of each class that has at least
 * two images) and the rest, for data sets without their own test split (a project's images).
 */
export function stratifiedHoldOut(labels: ArrayLike<number>, testFraction: number, seed: number): { train: Int32Array; test: Int32Array } {
  if (!(testFraction > 0 && testFraction < 1)) throw new Error(`test fraction ${testFraction}: expected a number in (0, 1)`);
  const test = new Set<number>();
  for (const [c, indices] of indicesByClass(labels)) {
    if (indices.length < 2) continue;
    const random = mulberry32((Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(c + 1, 0x85ebca6b)) >>> 0);
    const n = Math.min(indices.length - 1, keptPerClass(indices.length, testFraction));
    for (const i of shuffled(indices, random).slice(0, n)) test.add(i);
  }
  const train: number[] = [];
  for (let i = 0; i < labels.length; i++) if (!test.has(i)) train.push(i);
  return { train: Int32Array.from(train), test: Int32Array.from([...test].sort((a, b) => a - b)) };
}
