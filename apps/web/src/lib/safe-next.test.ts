import { describe, expect, it } from "vitest";
import { safeNext } from "./safe-next";

describe("safeNext", () => {
  it("keeps same-site paths with their query and fragment", () => {
    expect(safeNext("/projects/abc/label?image=3#top")).toBe("/projects/abc/label?image=3#top");
    expect(safeNext("/")).toBe("/");
  });

  it("sends everything that a browser could read as another site to the home page", () => {
    for (const next of [
      null,
      "",
      "https://evil.example/phish",
      "//evil.example/phish",
      "/\\evil.example",
      "/\t/evil.example/phish", // ?next=%2F%09%2Fevil.example: the tab is dropped, leaving //evil.example
      "/\n/evil.example",
      "/\r/evil.example",
      "/ /evil.example",
      "/\u0000/evil.example",
      "javascript:alert(1)",
      "evil.example",
    ]) {
      expect(safeNext(next), JSON.stringify(next)).toBe("/");
    }
  });
});
