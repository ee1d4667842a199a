import { describe, expect, it } from "vitest";
import { softmax, topK } from "./top-k";

describe("softmax", () => {
  it("sums to one and keeps the order of the logits", () => {
    const p = softmax([1, 2, 3]);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(p[2]).toBeGreaterThan(p[1]!);
    expect(p[0]).toBeCloseTo(Math.exp(1) / (Math.exp(1) + Math.exp(2) + Math.exp(3)), 12);
  });
  it("does not overflow on large logits", () => {
    const p = softmax(new Float32Array([1000, 1000]));
    expect(p).toEqual([0.5, 0.5]);
  });
});

describe("topK", () => {
  it("returns the k most probable classes with their names, most probable first", () => {
    expect(topK([0.1, 0.6, 0.3], ["cat", "dog", "bird"], 2)).toEqual([
      { index: 1, name: "dog", probability: 0.6 },
      { index: 2, name: "bird", probability: 0.3 },
    ]);
  });
  it("keeps class order on ties and copes with k larger than the classes", () => {
    expect(topK([0.5, 0.5], ["a", "b"], 5).map((p) => p.name)).toEqual(["a", "b"]);
  });
});
