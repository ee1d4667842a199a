import { describe, expect, it } from "vitest";
import { clampPan, cssOf, IDENTITY, MAX_SCALE, panBy, wheelFactor, zoomAt } from "./view-transform";

const frame = { width: 400, height: 300 };

describe("view transform", () => {
  it("zooms about the pointer: the image point under it stays under it", () => {
    const at = { x: 100, y: 50 };
    const t = zoomAt(IDENTITY, 2, frame, at);
    expect(t.scale).toBe(2);
    // Frame point `at` shows image point (at - offset) / scale, the same before and after.
    expect([(at.x - t.x) / t.scale, (at.y - t.y) / t.scale]).toEqual([100, 50]);
    const u = zoomAt(t, 1.5, frame, { x: 300, y: 200 });
    expect([(300 - u.x) / u.scale, (200 - u.y) / u.scale]).toEqual([(300 - t.x) / t.scale, (200 - t.y) / t.scale]);
  });

  it("keeps the zoomed image covering its frame and the scale within bounds", () => {
    expect(zoomAt(IDENTITY, 0.5, frame)).toEqual(IDENTITY);
    expect(zoomAt(IDENTITY, 1e6, frame).scale).toBe(MAX_SCALE);
    const t = zoomAt(IDENTITY, 2, frame);
    expect(panBy(t, 10_000, 10_000, frame)).toMatchObject({ x: 0, y: 0 });
    expect(panBy(t, -10_000, -10_000, frame)).toMatchObject({ x: -400, y: -300 });
    expect(panBy(IDENTITY, -50, 20, frame)).toEqual(IDENTITY);
    // Zooming back out to 1 brings the whole image back.
    expect(zoomAt(panBy(t, -123, -45, frame), 0.25, frame)).toEqual(IDENTITY);
    expect(clampPan({ ...t, x: 5 }, frame).x).toBe(0);
  });

  it("turns wheel notches and trackpad deltas into zoom factors, and the view into CSS", () => {
    expect(wheelFactor(-100, 0)).toBeGreaterThan(1);
    expect(wheelFactor(100, 0)).toBeCloseTo(1 / wheelFactor(-100, 0), 10);
    expect(wheelFactor(3, 1)).toBeCloseTo(wheelFactor(120, 0), 10);
    expect(cssOf(IDENTITY)).toEqual({ transform: "translate(0px, 0px) scale(1)", filter: undefined });
    expect(cssOf({ ...IDENTITY, brightness: 1.5 }).filter).toBe("brightness(1.5) contrast(1)");
  });
});
