// The classifier's output as people read it: softmax over the logits, the k most likely classes with their names.

/** Numerically stable softmax (subtracts the largest logit first). */
export function softmax(logits: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const exps = Array.from(logits, (v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

export interface Prediction {
  index: number;
  name: string;
  probability: number;
}

/** The k most probable classes, most probable first (ties keep the class order). */
export function topK(probabilities: readonly number[], names: readonly string[], k: number): Prediction[] {
  return probabilities
    .map((probability, index) => ({ index, name: names[index] ?? `class ${index}`, probability }))
    .sort((a, b) => b.probability - a.probability || a.index - b.index)
    .slice(0, Math.max(0, k));
}
