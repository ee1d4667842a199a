// images.bin, as the web server streams it record by record and the experiment child reads it back.
import { describe, expect, it } from "vitest";
import { decodeImageRecords, imageRecord } from "./job";

describe("images.bin records", () => {
  it("reads back what was written one record at a time, and refuses a truncated file", () => {
    const images = [Buffer.from("first png"), Buffer.alloc(0), Buffer.alloc(70_000, 7)];
    const file = Buffer.concat(images.flatMap(imageRecord));
    expect(decodeImageRecords(file)).toEqual(images);
    expect(() => decodeImageRecords(file.subarray(0, file.length - 1))).toThrow(/truncated/);
    expect(() => decodeImageRecords(file.subarray(0, 2))).toThrow(/truncated/);
  });
});
