import { describe, expect, it } from "vitest";
import { pointPixels, pixelOf } from "./colours";
import { PointIndex, pointsInPolygon } from "./geometry";
import { fitView, toMap, toScreen, zoomAt } from "./view";

describe("map geometry", () => {
  it("selects the points a lasso encloses, concave shapes included", () => {
    // An L-shaped lasso: the notch's point is outside.
    const lasso: [number, number][] = [
      [0, 0],
      [0.6, 0],
      [0.6, 0.3],
      [0.3, 0.3],
      [0.3, 0.6],
      [0, 0.6],
    ];
    const xy = [0.1, 0.1, 0.5, 0.2, 0.45, 0.45, 0.2, 0.5, 0.9, 0.9];
    expect(pointsInPolygon(xy, lasso)).toEqual([0, 1, 3]);
    expect(pointsInPolygon(xy, lasso.slice(0, 2))).toEqual([]);
  });

  it("finds the nearest point within a radius, as a scan of every point would", () => {
    let s = 5;
    const r = () => (s = (s * 16807) % 2147483647) / 2147483647;
    const xy = Float32Array.from({ length: 20_000 }, r);
    const index = new PointIndex(xy);
    for (let q = 0; q < 200; q++) {
      const [x, y, radius] = [r(), r(), 0.02 * r()];
      let best: number | null = null;
      let bestD = radius * radius;
      for (let i = 0; i < xy.length / 2; i++) {
        const d = (xy[2 * i]! - x) ** 2 + (xy[2 * i + 1]! - y) ** 2;
        if (d <= bestD) [best, bestD] = [i, d];
      }
      expect(index.nearest(x, y, radius)).toBe(best);
    }
  });

  it("zooms around the pointer: the map point under it stays under it", () => {
    const v = fitView(800, 600);
    expect(toScreen(v, 0.5, 0.5)).toEqual([400, 300]);
    const before = toMap(v, 123, 456);
    const z = zoomAt(v, 123, 456, 3, v.scale);
    expect(z.scale).toBe(v.scale * 3);
    const after = toMap(z, 123, 456);
    expect(after[0]).toBeCloseTo(before[0], 10);
    expect(after[1]).toBeCloseTo(before[1], 10);
    expect(zoomAt(v, 0, 0, 1e6, v.scale).scale).toBe(v.scale * 200);
  });

  it("colours points by label, suggestion or confidence, grey for none", () => {
    const data = { label: [0, -1, 1], suggestion: [-1, 1, -1], confidence: [-1, 0.9, -1] };
    const colours = ["#ff0000", "#00ff00"];
    expect(Array.from(pointPixels(data, colours, "label"))).toEqual([pixelOf("#ff0000"), pixelOf("#94a3b8", 150), pixelOf("#00ff00")]);
    expect(pointPixels(data, colours, "suggestion")[1]).toBe(pixelOf("#00ff00"));
    const conf = pointPixels(data, colours, "confidence");
    expect(conf[0]).toBe(pixelOf("#94a3b8", 150));
    expect(conf[1]! & 0xff).toBeLessThan((conf[1]! >> 8) & 0xff); // sure: more green than red
  });
});
