import { describe, expect, it } from "vitest";
import { isHeldOut, splitLabels } from "./holdout";

const image = (n: number, labelSource = "HUMAN") => ({ id: `image-${n}`, labelClassId: "c", labelSource });
const labelled = (count: number, source?: string) => Array.from({ length: count }, (_, n) => image(n, source));

describe("splitLabels", () => {
  it("holds out the same fifth of human labels by image id once it makes the minimum", () => {
    const images = labelled(300);
    const { train, heldOut } = splitLabels(images, 10, 20);
    expect(heldOut.length).toBeGreaterThanOrEqual(20);
    expect(heldOut.every((i) => isHeldOut(i.id))).toBe(true);
    expect(train.length + heldOut.length).toBe(300);
    expect(new Set([...train, ...heldOut].map((i) => i.id)).size).toBe(300);
    // Stable as labels arrive: every image held out among 300 is still held out among 400.
    const more = splitLabels(labelled(400), 10, 20).heldOut.map((i) => i.id);
    expect(heldOut.every((i) => more.includes(i.id))).toBe(true);
  });

  it("trains on every label while the held-out share would be too small to score", () => {
    const images = labelled(30);
    expect(images.filter((i) => isHeldOut(i.id)).length).toBeGreaterThan(0);
    expect(images.filter((i) => isHeldOut(i.id)).length).toBeLessThan(20);
    expect(splitLabels(images, 10, 20)).toEqual({ train: images, heldOut: [] });
    // Without a minimum to reach, the share is held out as soon as there are enough labels.
    expect(splitLabels(images, 10).heldOut.length).toBeGreaterThan(0);
    expect(splitLabels(images, 31).heldOut).toEqual([]);
  });

  it("never holds out accepted suggestions or unlabelled images", () => {
    const images = [...labelled(200, "MODEL"), { id: "x", labelClassId: null, labelSource: null }];
    expect(splitLabels(images, 1, 1)).toEqual({ train: images.slice(0, 200), heldOut: [] });
  });
});
