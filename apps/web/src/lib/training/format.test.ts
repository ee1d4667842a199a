import { describe, expect, it } from "vitest";
import { etaNow, formatDuration, runPercent } from "./format";

describe("formatDuration", () => {
  it("reads as seconds, minutes or hours", () => {
    expect(formatDuration(45.4)).toBe("45 s");
    expect(formatDuration(200)).toBe("3 min 20 s");
    expect(formatDuration(180)).toBe("3 min");
    expect(formatDuration(7500)).toBe("2 h 5 min");
    expect(formatDuration(7200)).toBe("2 h");
  });
  it("says unknown for missing or impossible values", () => {
    expect(formatDuration(null)).toBe("–");
    expect(formatDuration(-1)).toBe("–");
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe("–");
  });
});

describe("runPercent", () => {
  it("is the share of steps done, clamped", () => {
    expect(runPercent({ step: 25, totalSteps: 100 })).toBe(25);
    expect(runPercent({ step: 120, totalSteps: 100 })).toBe(100);
    expect(runPercent({ step: 0, totalSteps: 0 })).toBe(0);
  });
});

describe("etaNow", () => {
  it("counts down from the last report and stops at zero", () => {
    expect(etaNow(60, 1_000, 11_000)).toBe(50);
    expect(etaNow(5, 0, 60_000)).toBe(0);
    expect(etaNow(null, 0, 1)).toBeNull();
  });
});
