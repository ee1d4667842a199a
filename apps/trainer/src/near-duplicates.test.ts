import { imageAt, loadFashionMnist } from "@fewlabel/datasets";
import { selectBackend } from "@fewlabel/ml";
import { beforeAll, describe, expect, it } from "vitest";
import { isHeldOut } from "./holdout";
import { findDuplicateGroups, straddlesHoldout } from "./near-duplicates";

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

describe("near-duplicate groups on the trainer", () => {
  beforeAll(async () => {
    await selectBackend({ order: ["wasm", "cpu"] });
  });

  it("finds a planted copy among Fashion-MNIST images, and compares no pair twice", async () => {
    const set = loadFashionMnist("train", { limit: 40 });
    const pixels = Array.from({ length: 40 }, (_, i) => ({ data: imageAt(set, i), width: 28, height: 28, channels: 1 as const }));
    // Image 7 again, 30 levels darker (clipped at black), as image 40.
    pixels.push({ data: Uint8Array.from(imageAt(set, 7), (v) => Math.max(0, v - 30)), width: 28, height: 28, channels: 1 });
    const images = pixels.map((_, i) => ({ id: uuid(i), labelClassId: null, labelSource: null }));
    const verified = new Map();
    const groups = await findDuplicateGroups(images, pixels, null, false, verified);
    expect(groups.map((g) => g.imageIds)).toEqual([[uuid(7), uuid(40)]]);
    const compared = verified.size;
    expect(compared).toBeGreaterThan(40);
    // Again, with the pairs known: nothing is compared anew. The known similarity of 7 and 40 is what decides now.
    expect((await findDuplicateGroups(images, pixels, null, false, verified)).map((g) => g.imageIds)).toEqual([[uuid(7), uuid(40)]]);
    expect(verified.size).toBe(compared);
    verified.set(`${uuid(7)}:${uuid(40)}`, { coarse: 0.5, fine: 0.5 });
    expect(await findDuplicateGroups(images, pixels, null, false, verified)).toEqual([]);
  });

  it("flags a group whose held-out label has a twin that trains", () => {
    const ids = Array.from({ length: 40 }, (_, i) => uuid(100 + i));
    const held = ids.find(isHeldOut)!;
    const trains = ids.find((id) => !isHeldOut(id))!;
    const human = (id: string) => ({ id, labelClassId: "c", labelSource: "HUMAN" });
    expect(straddlesHoldout([human(held), human(trains)], true)).toBe(true);
    expect(straddlesHoldout([human(held), human(trains)], false)).toBe(false);
    expect(straddlesHoldout([human(held), { id: trains, labelClassId: null, labelSource: null }], true)).toBe(false);
    // An accepted model suggestion trains too.
    expect(straddlesHoldout([human(held), { id: trains, labelClassId: "c", labelSource: "MODEL_REVIEWED" }], true)).toBe(true);
  });
});
