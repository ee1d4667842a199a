import { describe, expect, it } from "vitest";
import { assessVersions, pickServingVersion, SERVING_TIE_MARGIN, type ServingCandidate, tieMargin } from "./serving-model";

const at = (version: number, stage: string, accuracy: number | null, baselines?: { name: string; accuracy: number }[], heldOut?: number): ServingCandidate => ({
  id: `v${version}`,
  version,
  stage,
  metrics: accuracy === null ? null : { accuracy, ...(baselines ? { baselines } : {}), ...(heldOut ? { heldOut } : {}) },
});

describe("pickServingVersion", () => {
  it("serves the best held-out accuracy of the kind, not the newest", () => {
    const versions = [at(1, "PRETRAIN", 0.9), at(2, "FINETUNE", 0.8), at(3, "DISTIL", 0.7), at(4, "FINETUNE", 0.75), at(5, "DISTIL", 0.72), at(6, "DISTIL", 0.68)];
    expect(pickServingVersion(versions, "teacher")?.version).toBe(2);
    expect(pickServingVersion(versions, "student")?.version).toBe(5);
  });

  it("breaks ties to the newer version, whatever the order it is given in", () => {
    const versions = [at(2, "FINETUNE", 0.8), at(5, "FINETUNE", 0.8), at(3, "FINETUNE", 0.8)];
    expect(pickServingVersion(versions, "teacher")?.version).toBe(5);
    expect(pickServingVersion([...versions].reverse(), "teacher")?.version).toBe(5);
  });

  it("treats accuracies within the tie margin (a held-out label or so) as ties, which go to the newer", () => {
    // Measured in the product: 43 of 59 against 42 of 59 held-out labels, the newer one better on unseen images.
    expect(pickServingVersion([at(2, "FINETUNE", 43 / 59), at(7, "FINETUNE", 42 / 59)], "teacher")?.version).toBe(7);
    // A real drop is not shipped: the older, better version keeps serving, and the newer one is a regression.
    const drop = [at(2, "FINETUNE", 0.8), at(7, "FINETUNE", 0.74)];
    expect(pickServingVersion(drop, "teacher")?.version).toBe(2);
    expect(assessVersions(drop).byId.get("v7")?.regression).toMatchObject({ version: 2 });
    // The margin is measured from the best, so a chain of small drops cannot walk away from it.
    expect(pickServingVersion([at(2, "FINETUNE", 0.8), at(3, "FINETUNE", 0.785), at(4, "FINETUNE", 0.77)], "teacher")?.version).toBe(3);
  });

  it("widens the tie to one standard error of the difference when held-out counts are known, so noise does not block a newer version", () => {
    // bench:loop run 6: 51 of 61 against 48 of 61 held-out labels; on 2,000 unseen images the newer one was better.
    const run6 = [at(5, "FINETUNE", 51 / 61, undefined, 61), at(8, "FINETUNE", 48 / 61, undefined, 61)];
    expect(tieMargin(run6[0]!.metrics, run6[1]!.metrics)).toBeGreaterThan(0.06);
    expect(pickServingVersion(run6, "teacher")?.version).toBe(8);
    // It serves and says it reads below v5 within the noise; v5 is no regression (it is older).
    const run6Assessed = assessVersions(run6).byId;
    expect(run6Assessed.get("v8")).toMatchObject({ serving: "teacher", regression: null, withinNoiseOf: { id: "v5", version: 5, accuracy: 51 / 61, margin: expect.any(Number) } });
    expect(run6Assessed.get("v8")!.withinNoiseOf!.margin).toBeGreaterThan(0.06);
    expect(run6Assessed.get("v5")).toMatchObject({ serving: null, regression: null, withinNoiseOf: null });
    // The same accuracies on 600 held-out labels each are a real drop: the older keeps serving, the newer is flagged.
    const measured = [at(5, "FINETUNE", 0.836, undefined, 600), at(8, "FINETUNE", 0.787, undefined, 600)];
    expect(tieMargin(measured[0]!.metrics, measured[1]!.metrics)).toBeLessThan(0.03);
    expect(pickServingVersion(measured, "teacher")?.version).toBe(5);
    expect(assessVersions(measured).byId.get("v8")?.regression).toMatchObject({ version: 5 });
    // A collapse is flagged even on few labels; and the margin never falls below the fixed one.
    expect(pickServingVersion([at(5, "FINETUNE", 0.8, undefined, 61), at(8, "FINETUNE", 0.45, undefined, 61)], "teacher")?.version).toBe(5);
    expect(tieMargin({ accuracy: 0.9, heldOut: 100_000 }, { accuracy: 0.9, heldOut: 100_000 })).toBe(SERVING_TIE_MARGIN);
    // 5 of 5 is not certainty: smoothed, it still has a spread.
    expect(tieMargin({ accuracy: 1, heldOut: 5 }, { accuracy: 1, heldOut: 5 })).toBeGreaterThan(0.1);
  });

  it("counts versions without metrics only while none of their kind has metrics, then the newest", () => {
    expect(pickServingVersion([at(2, "FINETUNE", null), at(4, "FINETUNE", null)], "teacher")?.version).toBe(4);
    // A newer unmeasured version does not displace a measured one, even a poor one.
    expect(pickServingVersion([at(2, "FINETUNE", 0.1), at(4, "FINETUNE", null)], "teacher")?.version).toBe(2);
    // A measured 0% is still a measurement: it outranks an unmeasured version.
    expect(pickServingVersion([at(2, "FINETUNE", 0), at(4, "FINETUNE", null)], "teacher")?.version).toBe(2);
  });

  it("is null for a kind with no version; an encoder never serves", () => {
    expect(pickServingVersion([at(1, "PRETRAIN", 0.9)], "teacher")).toBeNull();
    expect(pickServingVersion([at(1, "PRETRAIN", 0.9), at(2, "FINETUNE", 0.5)], "student")).toBeNull();
  });
});

describe("assessVersions", () => {
  const baselines = [
    { name: "pixel-1nn", accuracy: 0.78 },
    { name: "pixel-linear", accuracy: 0.82 },
    { name: "random-encoder-knn", accuracy: 0.4 },
  ];

  it("marks the serving teacher and student and nothing else", () => {
    const { serving, byId } = assessVersions([at(1, "PRETRAIN", 0.5), at(2, "FINETUNE", 0.8), at(3, "DISTIL", 0.7)]);
    expect(serving.teacher?.id).toBe("v2");
    expect(serving.student?.id).toBe("v3");
    expect([...byId].map(([id, a]) => [id, a.serving])).toEqual([
      ["v1", null],
      ["v2", "teacher"],
      ["v3", "student"],
    ]);
  });

  it("names the best baseline and whether the version beats it (strictly)", () => {
    const { byId } = assessVersions([at(2, "FINETUNE", 0.85, baselines), at(3, "DISTIL", 0.82, baselines), at(4, "FINETUNE", 0.6, baselines)]);
    expect(byId.get("v2")).toMatchObject({ bestBaseline: { name: "pixel-linear", accuracy: 0.82 }, beatsBaselines: true });
    expect(byId.get("v3")).toMatchObject({ bestBaseline: { name: "pixel-linear", accuracy: 0.82 }, beatsBaselines: false });
    expect(byId.get("v4")!.beatsBaselines).toBe(false);
  });

  it("has no verdict without baselines or without metrics", () => {
    const { byId } = assessVersions([at(2, "FINETUNE", 0.85), at(3, "FINETUNE", null), { ...at(4, "DISTIL", 0.7, []) }]);
    expect(byId.get("v2")).toMatchObject({ bestBaseline: null, beatsBaselines: null });
    expect(byId.get("v3")).toMatchObject({ bestBaseline: null, beatsBaselines: null });
    expect(byId.get("v4")).toMatchObject({ bestBaseline: null, beatsBaselines: null });
  });

  it("flags a newer measured version below the serving one as a regression, naming what serves", () => {
    const { byId } = assessVersions([at(2, "FINETUNE", 0.7), at(3, "FINETUNE", 0.8), at(4, "FINETUNE", 0.75), at(5, "FINETUNE", null), at(6, "DISTIL", 0.6), at(7, "DISTIL", 0.65)]);
    expect(byId.get("v4")!.regression).toEqual({ id: "v3", version: 3, accuracy: 0.8 });
    // Older and worse is history, not a regression; unmeasured is not known to be worse.
    expect(byId.get("v2")!.regression).toBeNull();
    expect(byId.get("v5")!.regression).toBeNull();
    expect(byId.get("v3")!.regression).toBeNull();
    // Students are compared with students only: the newer, better one serves.
    expect(byId.get("v7")).toMatchObject({ serving: "student", regression: null });
    expect(byId.get("v6")).toMatchObject({ serving: null, regression: null });
  });
});
