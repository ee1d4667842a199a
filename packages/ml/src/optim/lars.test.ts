import { describe, expect, it } from "vitest";
import { tf } from "../tf.js";
import { LarsOptimizer, warmupCosine } from "./lars.js";

describe("warmupCosine", () => {
  it("warms up linearly, peaks at the base rate and decays to zero", () => {
    expect(warmupCosine(0, 100, 1, 10)).toBeCloseTo(0.1);
    expect(warmupCosine(9, 100, 1, 10)).toBeCloseTo(1);
    expect(warmupCosine(10, 100, 1, 10)).toBeCloseTo(1);
    expect(warmupCosine(55, 100, 1, 10)).toBeCloseTo(0.5);
    expect(warmupCosine(100, 100, 1, 10)).toBeCloseTo(0);
  });
});

describe("LarsOptimizer", () => {
  it("scales a matrix step by eta * |w| / |g + wd w| and leaves vectors plain SGD with momentum", async () => {
    await tf.setBackend("cpu");
    const w = tf.variable(tf.tensor2d([[3, 4]]), true, "lars_w"); // |w| = 5
    const b = tf.variable(tf.tensor1d([1, 1]), true, "lars_b");
    const opt = new LarsOptimizer({ learningRate: 0.1, momentum: 0.9, weightDecay: 0, eta: 0.01 });
    opt.applyGradients({ lars_w: tf.tensor2d([[0, 10]]), lars_b: tf.tensor1d([2, 0]) });
    // trust = 0.01 * 5 / 10 = 0.005; update = lr * trust * g = 0.1 * 0.005 * [0, 10]
    expect(Array.from(w.dataSync())).toEqual([3, 4 - 0.005].map(Math.fround));
    expect(Array.from(b.dataSync())).toEqual([1 - 0.2, 1].map(Math.fround));
    opt.applyGradients({ lars_w: tf.tensor2d([[0, 10]]), lars_b: tf.tensor1d([2, 0]) });
    // momentum: velocity 0.2 * 0.9 + 2 = 3.8 -> b -= 0.38
    expect(b.dataSync()[0]).toBeCloseTo(0.8 - 0.38, 5);
    const state = await opt.getWeights();
    expect(state).toHaveLength(3); // iterations + one velocity per variable
  });
});
