import { tf } from "@fewlabel/ml";
import { describe, expect, it } from "vitest";
import { classThresholds, findLabelIssues, outOfFoldProbabilities } from "./label-issues";

describe("possible label errors (confident learning)", () => {
  it("flags a row whose other class reaches that class's threshold, least self-confident first", () => {
    // Three classes; rows labelled 0, 0, 0, 1, 1, 2, 2 and one labelled 0 that looks like class 1.
    const probs = Float32Array.from([
      0.9,
      0.05,
      0.05, //
      0.8,
      0.1,
      0.1,
      0.7,
      0.2,
      0.1,
      0.1,
      0.8,
      0.1,
      0.2,
      0.6,
      0.2,
      0.1,
      0.1,
      0.8,
      0.3,
      0.3,
      0.4, // labelled 2, unsure: the thresholds of 0 (0.6) and 1 (0.7) are not reached: not flagged
      0.05,
      0.9,
      0.05, // labelled 0: class 1 reaches its threshold: flagged
    ]);
    const labels = [0, 0, 0, 1, 1, 2, 2, 0];
    const t = classThresholds(probs, labels, 3);
    expect(t[1]).toBeCloseTo(0.7, 5);
    expect(findLabelIssues(probs, labels, 3)).toEqual([{ row: 7, given: 0, suggested: 1, selfConfidence: expect.closeTo(0.05, 5), suggestedConfidence: expect.closeTo(0.9, 5) }]);
    // A row of its own class above every threshold is never flagged, whatever the others.
    expect(
      findLabelIssues(
        probs,
        labels.map((l, i) => (i === 7 ? 1 : l)),
        3,
      ),
    ).toEqual([]);
  });

  it("predicts each row from the other folds: a mislabelled point among well-separated clusters is caught", async () => {
    // Two clusters of 10 points; one point of the first cluster is labelled with the second's class.
    const rows: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 10; i++) {
      rows.push([0 + i * 0.01, 0]);
      labels.push(0);
    }
    for (let i = 0; i < 10; i++) {
      rows.push([5 + i * 0.01, 5]);
      labels.push(1);
    }
    labels[3] = 1;
    const features = tf.tensor2d(rows);
    const probs = await outOfFoldProbabilities(features, labels, 2, 5);
    features.dispose();
    const issues = findLabelIssues(probs, labels, 2);
    expect(issues.map((i) => i.row)).toEqual([3]);
    expect(issues[0]).toMatchObject({ given: 1, suggested: 0 });
  });
});
