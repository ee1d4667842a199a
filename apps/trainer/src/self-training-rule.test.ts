import { describe, expect, it } from "vitest";
import { SELF_TRAINING_MIN_LABELS_PER_CLASS, selfTrainingApplies } from "./self-training-rule";

describe("selfTrainingApplies", () => {
  const rule = (trainLabels: number, classes = 10, threshold = 0.95) => selfTrainingApplies({ threshold, trainLabels, classes, minLabelsPerClass: SELF_TRAINING_MIN_LABELS_PER_CLASS });
  it("self-trains with tens of labels a class and distils soft labels with a handful", () => {
    expect(rule(240)).toBe(true); // 10%: 300 labels, 60 held out
    expect(rule(100)).toBe(true);
    expect(rule(99)).toBe(false);
    expect(rule(30)).toBe(false); // 1%: 3 a class
  });
  it("never self-trains when turned off or without classes", () => {
    expect(rule(1000, 10, 0)).toBe(false);
    expect(rule(10, 0)).toBe(false);
  });
});
