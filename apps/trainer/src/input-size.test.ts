import { describe, expect, it } from "vitest";
import { chooseInputSize } from "./input-size";

const images = (...sides: [number, number][]) => sides.map(([width, height]) => ({ width, height }));

describe("chooseInputSize", () => {
  it("keeps 32 px on a CPU whatever the images", () => {
    expect(chooseInputSize({ accelerator: "cpu", images: images([4000, 3000], [640, 480]) }).size).toBe(32);
  });

  it("on a GPU, takes the largest of 32/64/96 px the median image fills on its shorter side", () => {
    expect(chooseInputSize({ accelerator: "gpu", images: images([4000, 3000], [640, 480], [300, 200]) })).toMatchObject({ size: 96, why: expect.stringContaining("median 480 px") });
    expect(chooseInputSize({ accelerator: "gpu", images: images([120, 70], [90, 80], [1000, 64]) }).size).toBe(64);
    expect(chooseInputSize({ accelerator: "gpu", images: images([28, 28], [28, 28], [500, 500]) }).size).toBe(32);
    expect(chooseInputSize({ accelerator: "gpu", images: [] }).size).toBe(32);
  });
});
