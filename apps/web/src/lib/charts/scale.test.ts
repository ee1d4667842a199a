import { describe, expect, it } from "vitest";
import { extent, linearScale, linePath, niceDomain, niceTicks, stepPath } from "./scale";

describe("extent", () => {
  it("ignores missing and non-finite values", () => {
    expect(extent([3, null, 1, undefined, Number.NaN, 2])).toEqual({ min: 1, max: 3 });
  });
  it("widens a flat series and falls back when there is nothing", () => {
    expect(extent([2, 2])).toEqual({ min: 1.8, max: 2.2 });
    expect(extent([0])).toEqual({ min: -0.5, max: 0.5 });
    expect(extent([], { min: 0, max: 10 })).toEqual({ min: 0, max: 10 });
  });
});

describe("linearScale", () => {
  it("maps the domain onto the range, inverted for a y axis", () => {
    const y = linearScale({ min: 0, max: 4 }, 100, 0);
    expect(y(0)).toBe(100);
    expect(y(4)).toBe(0);
    expect(y(1)).toBe(75);
  });
});

describe("niceTicks", () => {
  it("picks round steps of 1, 2 or 5 times a power of ten inside the domain", () => {
    expect(niceTicks({ min: 0, max: 1 }, 4)).toEqual([0, 0.5, 1]);
    expect(niceTicks({ min: 0.13, max: 2.61 }, 4)).toEqual([1, 2]);
    expect(niceTicks({ min: 0.13, max: 2.61 }, 8)).toEqual([0.5, 1, 1.5, 2, 2.5]);
    expect(niceTicks({ min: 0, max: 400 }, 4)).toEqual([0, 100, 200, 300, 400]);
  });
  it("has no float dust", () => {
    for (const t of niceTicks({ min: 0, max: 0.7 }, 7)) expect(String(t).length).toBeLessThan(5);
  });
  it("returns the one value of an empty domain", () => {
    expect(niceTicks({ min: 3, max: 3 })).toEqual([3]);
  });
});

describe("niceDomain", () => {
  it("rounds outwards to the ticks", () => {
    expect(niceDomain({ min: 0.13, max: 2.61 }, 4)).toEqual({ min: 0, max: 3 });
  });
});

describe("linePath", () => {
  const id = (v: number) => v;
  it("draws through the points and starts a new segment after a gap", () => {
    expect(
      linePath(
        [
          { x: 0, y: 1 },
          { x: 1, y: 2 },
          { x: 2, y: null },
          { x: 3, y: 4 },
          { x: 4, y: 5 },
        ],
        id,
        id,
      ),
    ).toBe("M0,1L1,2M3,4L4,5");
  });
  it("is empty without values", () => {
    expect(linePath([{ x: 0, y: null }], id, id)).toBe("");
  });
});

describe("stepPath", () => {
  const id = (v: number) => v;
  it("holds each value across its category, jumps at the shared edge, and breaks at a gap", () => {
    expect(
      stepPath(
        [
          { x: 0, y: 1 },
          { x: 2, y: 3 },
          { x: 4, y: null },
          { x: 6, y: 5 },
        ],
        id,
        id,
        1,
      ),
    ).toBe("M-1,1L1,1L1,3L3,3M5,5L7,5");
  });
  it("draws a lone value as a segment, not an invisible point", () => {
    expect(
      stepPath(
        [
          { x: 0, y: null },
          { x: 2, y: 3 },
        ],
        id,
        id,
        1,
      ),
    ).toBe("M1,3L3,3");
  });
});
