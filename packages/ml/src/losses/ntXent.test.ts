import { describe, expect, it } from "vitest";
import { tf } from "../tf.js";
import { ntXentLoss } from "./ntXent.js";

// Straightforward reference: explicit loops over the 2N rows.
function reference(z1: number[][], z2: number[][], t: number): number {
  const z = [...z1, ...z2].map((v) => {
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  });
  const n = z1.length;
  const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);
  let total = 0;
  for (let k = 0; k < 2 * n; k++) {
    const pos = k < n ? k + n : k - n;
    let denom = 0;
    for (let j = 0; j < 2 * n; j++) if (j !== k) denom += Math.exp(dot(z[k]!, z[j]!) / t);
    total += -dot(z[k]!, z[pos]!) / t + Math.log(denom);
  }
  return total / (2 * n);
}

describe("ntXentLoss", () => {
  it("matches a hand-computed value (2 pairs, orthogonal views)", async () => {
    await tf.setBackend("cpu");
    // z1 = [e1, e2], z2 = [e1, e2]: positives have s=1, every negative s=0 except... e1.e2 = 0.
    // Row k: -1/T + log(exp(1/T) + 2 * exp(0)); with T = 0.5: -2 + log(e^2 + 2).
    const v = ntXentLoss(
      tf.tensor2d([
        [1, 0],
        [0, 1],
      ]),
      tf.tensor2d([
        [2, 0],
        [0, 3],
      ]),
      0.5,
    ).dataSync()[0]!;
    expect(v).toBeCloseTo(-2 + Math.log(Math.exp(2) + 2), 5);
  });

  it("matches the loop reference on random embeddings at several temperatures", async () => {
    await tf.setBackend("cpu");
    const z1 = [
      [0.3, -1.2, 0.5],
      [1.1, 0.4, -0.2],
      [-0.7, 0.9, 0.8],
    ];
    const z2 = [
      [0.2, -1.0, 0.9],
      [0.8, 0.1, -0.5],
      [-0.1, 1.3, 0.2],
    ];
    for (const t of [0.1, 0.5, 1]) {
      const v = ntXentLoss(tf.tensor2d(z1), tf.tensor2d(z2), t).dataSync()[0]!;
      expect(v).toBeCloseTo(reference(z1, z2, t), 4);
    }
  });

  it("is lower when the views agree than when they are shuffled", async () => {
    await tf.setBackend("cpu");
    const z1 = tf.randomNormal([8, 4], 0, 1, "float32", 1) as tf.Tensor2D;
    const agree = ntXentLoss(z1, tf.add(z1, 0.01), 0.2).dataSync()[0]!;
    const shuffled = ntXentLoss(z1, tf.reverse(z1, 0) as tf.Tensor2D, 0.2).dataSync()[0]!;
    expect(agree).toBeLessThan(shuffled);
  });
});
