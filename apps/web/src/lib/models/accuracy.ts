// How a model version's held-out accuracy reads to people: always with its confidence interval and the number of
// held-out labels behind it (47 labels cannot carry a tenth of a percent), and the baselines by their plain names.

export const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

const baselineNames: Record<string, string> = {
  "pixel-1nn": "pixel 1-NN",
  "pixel-5nn": "pixel 5-NN",
  "pixel-linear": "pixel logistic regression",
  "random-encoder-knn": "random-encoder kNN",
};

/** A baseline's name as people read it ("pixel-linear" → "pixel logistic regression"); unknown names as they are. */
export function baselineName(name: string): string {
  return baselineNames[name] ?? name;
}

/** "81.2% (74.0–86.9, n=60)"; "81.2% (n=60)" for a version published before intervals were measured. */
export function formatAccuracy(m: { accuracy: number; heldOut: number; interval?: { low: number; high: number } }): string {
  const range = m.interval ? `${(m.interval.low * 100).toFixed(1)}–${(m.interval.high * 100).toFixed(1)}, ` : "";
  return `${pct(m.accuracy)} (${range}n=${m.heldOut})`;
}

/**
 * "No accuracy yet: 4 held-out labels of 20 needed" (the trainer measures nothing below its minimum). With none held
 * out the trainer is training on every label, because a fifth of them would not yet make the minimum (holdout.ts).
 */
export function formatShortfall(s: { heldOut: number; minHeldOut: number }): string {
  if (s.heldOut === 0) return `No accuracy yet: every label trains until a fifth of them, held out for scoring, makes ${s.minHeldOut}`;
  return `No accuracy yet: ${s.heldOut} held-out ${s.heldOut === 1 ? "label" : "labels"} of ${s.minHeldOut} needed`;
}
