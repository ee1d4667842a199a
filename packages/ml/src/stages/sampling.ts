// Which images a step sees: drawn from a generator seeded by (seed, step), so a resumed run repeats its batches.
import { mulberry32, type SeededRandom } from "../util/random.js";

/** Per-step generator: step k's batch and augmentation depend only on (seed, k), so a resumed run repeats them. */
export function stepRandom(seed: number, step: number): SeededRandom {
  return mulberry32((Math.imul(seed, 0x9e3779b1) ^ Math.imul(step + 1, 0x85ebca6b)) >>> 0);
}

/** A batch of distinct indices from `pool` (or 0..count-1), drawn with the given generator. */
export function sampleBatch(count: number, batchSize: number, r: () => number, pool?: ArrayLike<number>): Int32Array {
  const n = pool ? pool.length : count;
  const out = new Int32Array(Math.min(batchSize, n));
  const chosen = new Set<number>();
  for (let i = 0; i < out.length; i++) {
    let j = Math.floor(r() * n);
    while (chosen.has(j)) j = (j + 1) % n;
    chosen.add(j);
    out[i] = pool ? pool[j]! : j;
  }
  return out;
}
