import { describe, expect, it } from "vitest";
import { galleryActionFor, galleryKeys, markRange } from "./gallery-keys";

const key = (k: string, mods: Partial<KeyboardEvent> = {}) => ({ key: k, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods });
const plain = [{ hotkey: "1" }, { hotkey: "2" }];

describe("the suggestion gallery's keys", () => {
  it("moves over the tiles as laid out in rows, and stops at the edges", () => {
    expect(galleryActionFor(key("ArrowRight"), plain, 0, 10, 4)).toEqual({ kind: "move", to: 1 });
    expect(galleryActionFor(key("ArrowDown"), plain, 1, 10, 4)).toEqual({ kind: "move", to: 5 });
    expect(galleryActionFor(key("ArrowDown"), plain, 8, 10, 4)).toEqual({ kind: "move", to: 9 });
    expect(galleryActionFor(key("ArrowUp"), plain, 2, 10, 4)).toEqual({ kind: "move", to: 0 });
    expect(galleryActionFor(key("ArrowLeft"), plain, 0, 10, 4)).toBeNull();
    expect(galleryActionFor(key("End"), plain, 0, 10, 4)).toEqual({ kind: "move", to: 9 });
  });

  it("marks with Space or x, applies with Enter, undoes with Ctrl+Z", () => {
    expect(galleryActionFor(key(" "), plain, 0, 3, 3)).toEqual({ kind: "mark" });
    expect(galleryActionFor(key("x"), plain, 0, 3, 3)).toEqual({ kind: "mark" });
    expect(galleryActionFor(key("Enter"), plain, 0, 3, 3)).toEqual({ kind: "apply" });
    expect(galleryActionFor(key("z", { ctrlKey: true }), plain, 0, 0, 3)).toEqual({ kind: "undo" });
    expect(galleryActionFor(key("Enter"), plain, 0, 0, 3)).toBeNull();
    expect(galleryActionFor(key("]"), plain, 0, 0, 3)).toEqual({ kind: "class", by: 1 });
  });

  it("leaves a class's own hotkey alone", () => {
    const withX = [{ hotkey: "x" }, { hotkey: "]" }];
    expect(galleryKeys(withX).mark).toEqual(["Space"]);
    expect(galleryActionFor(key("x"), withX, 0, 3, 3)).toBeNull();
    expect(galleryActionFor(key("]"), withX, 0, 3, 3)).toBeNull();
    expect(galleryActionFor(key(" "), withX, 0, 3, 3)).toEqual({ kind: "mark" });
  });

  it("marks or unmarks a shift-clicked range as the clicked tile goes", () => {
    const ids = ["a", "b", "c", "d"];
    expect([...markRange(new Set(), ids, 0, 2)].sort()).toEqual(["a", "b", "c"]);
    expect([...markRange(new Set(["a", "b", "c", "d"]), ids, 3, 1)].sort()).toEqual(["a"]);
  });
});
