// How far a held-out accuracy can be trusted: the Wilson score interval (Wilson 1927), which stays inside [0, 1] and
// is honest for the small counts a labelling project has (47 held-out labels cannot carry 0.1%).
export interface Interval {
  low: number;
  high: number;
}

/** 95% (z = 1.96) Wilson score interval of `correct` successes out of `total`. */
export function wilsonInterval(correct: number, total: number, z = 1.96): Interval {
  if (total <= 0) return { low: 0, high: 1 };
  const p = correct / total;
  const z2 = z * z;
  const centre = (p + z2 / (2 * total)) / (1 + z2 / total);
  const half = (z * Math.sqrt((p * (1 - p)) / total + z2 / (4 * total * total))) / (1 + z2 / total);
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}
