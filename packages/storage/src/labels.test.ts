import { describe, expect, it } from "vitest";
import { createCsvLabelLookup, labelFromFolderPath, parseLabelsCsv } from "./index";

describe("labelFromFolderPath", () => {
  it.each([
    ["cat/001.jpg", "cat"],
    ["train/cat/001.jpg", "cat"],
    ["root\\dog\\002.png", "dog"],
    ["./bird/x.png", "bird"],
    ["n01440764/n01440764_10026.JPEG", "n01440764"],
    ["001.jpg", null],
    ["../cat/001.jpg", null],
    ["cat/", null],
  ])("%s -> %s", (path, label) => {
    expect(labelFromFolderPath(path)).toBe(label);
  });
});

describe("parseLabelsCsv", () => {
  it("parses rows without a header", () => {
    expect(parseLabelsCsv("a.png,cat\nb.png,dog\n")).toEqual({
      entries: [
        { line: 1, filename: "a.png", label: "cat" },
        { line: 2, filename: "b.png", label: "dog" },
      ],
      errors: [],
    });
  });

  it("skips a header row, a BOM, CRLF line ends, blank lines and surrounding spaces", () => {
    const text = "\uFEFFfilename,label\r\n a.png , cat \r\n\r\nb.png,dog";
    expect(parseLabelsCsv(text).entries).toEqual([
      { line: 2, filename: "a.png", label: "cat" },
      { line: 4, filename: "b.png", label: "dog" },
    ]);
  });

  it("recognises an unusual header when the next row has a file name", () => {
    expect(parseLabelsCsv("img,cls\na.png,cat\n").entries).toEqual([{ line: 2, filename: "a.png", label: "cat" }]);
  });

  it("handles quoted fields with commas, escaped quotes and newlines, and keeps line numbers right", () => {
    const text = 'file,label\n"my, file.png","a ""quoted"" label"\n"multi\nline.png",x\nlast.png,y\n';
    const { entries, errors } = parseLabelsCsv(text);
    expect(errors).toEqual([]);
    expect(entries).toEqual([
      { line: 2, filename: "my, file.png", label: 'a "quoted" label' },
      { line: 3, filename: "multi\nline.png", label: "x" },
      { line: 5, filename: "last.png", label: "y" },
    ]);
  });

  it("reports bad rows with their line numbers and keeps the good ones", () => {
    const text = ["filename,label", "a.png,cat", "only-one-column.png", "b.png,", ",dog", "c.png,cat,extra", "../etc/passwd,cat", "a.png,dog", "a.png,cat", '"unterminated.png,cat'].join("\n");
    const { entries, errors } = parseLabelsCsv(text);
    expect(entries).toEqual([{ line: 2, filename: "a.png", label: "cat" }]);
    expect(errors.map((e) => e.line)).toEqual([3, 4, 5, 6, 7, 8, 10]);
    expect(errors[0]!.message).toMatch(/Expected 2 columns/);
    expect(errors[1]!.message).toMatch(/label .* is empty/);
    expect(errors[2]!.message).toMatch(/filename is empty/);
    expect(errors[4]!.message).toMatch(/\.\./);
    expect(errors[5]!.message).toMatch(/line 2/);
    expect(errors[6]!.message).toMatch(/never closed/);
  });

  it("returns nothing for an empty file", () => {
    expect(parseLabelsCsv("")).toEqual({ entries: [], errors: [] });
    expect(parseLabelsCsv("\uFEFF\r\n")).toEqual({ entries: [], errors: [] });
  });
});

describe("createCsvLabelLookup", () => {
  const { entries } = parseLabelsCsv(["cats/001.jpg,cat", "dogs/001.jpg,dog", "002.jpg,bird", "deep/folder/003.jpg,fish", "x/004.jpg,ant", "y/004.jpg,bee"].join("\n"));
  const lookup = createCsvLabelLookup(entries);

  it.each([
    ["cats/001.jpg", "cat"], // exact
    ["upload/cats/001.jpg", "cat"], // archive wraps everything in a root folder
    ["upload\\dogs\\001.jpg", "dog"],
    ["002.jpg", "bird"],
    ["any/where/002.jpg", "bird"], // CSV lists only basenames
    ["003.jpg", "fish"], // flat browser upload: unique basename
    ["001.jpg", undefined], // basename shared by two rows: ambiguous
    ["004.jpg", undefined],
    ["x/004.jpg", "ant"],
    ["Cats/001.jpg", undefined], // case-sensitive
    ["missing.jpg", undefined],
  ])("%s -> %s", (path, label) => {
    expect(lookup(path)).toBe(label);
  });
});
