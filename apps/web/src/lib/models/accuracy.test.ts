import { describe, expect, it } from "vitest";
import { baselineName, formatAccuracy, formatShortfall } from "./accuracy";

describe("accuracy formatting", () => {
  it("gives the interval and the held-out count beside the accuracy", () => {
    expect(formatAccuracy({ accuracy: 0.8123, heldOut: 60, interval: { low: 0.7402, high: 0.8694 } })).toBe("81.2% (74.0–86.9, n=60)");
    expect(formatAccuracy({ accuracy: 0.5, heldOut: 2 })).toBe("50.0% (n=2)");
  });
  it("names baselines plainly and says how many held-out labels are missing", () => {
    expect(baselineName("pixel-linear")).toBe("pixel logistic regression");
    expect(baselineName("something-new")).toBe("something-new");
    expect(formatShortfall({ heldOut: 1, minHeldOut: 20 })).toBe("No accuracy yet: 1 held-out label of 20 needed");
    expect(formatShortfall({ heldOut: 0, minHeldOut: 20 })).toBe("No accuracy yet: every label trains until a fifth of them, held out for scoring, makes 20");
  });
});
