// Deterministic pseudo-random numbers for tests and seeded augmentation (mulberry32).
/** A seeded generator whose `state` continues it exactly: `mulberry32(r.state)` draws what `r` would draw next. */
export interface SeededRandom {
  (): number;
  readonly state: number;
}

export function mulberry32(seed: number): SeededRandom {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  // A batch made on another thread goes on drawing where this thread stopped (../parallel/batchPrefetcher.ts).
  return Object.defineProperty(next, "state", { get: () => a }) as SeededRandom;
}

export function randomArray(n: number, rand: () => number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rand() * 2 - 1) * scale;
  return a;
}
