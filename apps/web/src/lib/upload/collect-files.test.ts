import { describe, expect, it } from "vitest";
import { isSystemFile } from "./collect-files";

describe("isSystemFile", () => {
  it("skips OS litter but keeps images, CSVs and archives", () => {
    expect(["cats/.DS_Store", "__MACOSX/cats/._1.jpg", "Thumbs.db", "dogs/desktop.ini", "._a.png"].map(isSystemFile)).toEqual([true, true, true, true, true]);
    expect(["cats/1.jpg", "labels.csv", "a.zip"].map(isSystemFile)).toEqual([false, false, false]);
  });
});
