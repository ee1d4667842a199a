import { describe, expect, it } from "vitest";
import { reviewActionFor, reviewKeys } from "./review-keys";

const cat = { id: "c", hotkey: "1" };
const dog = { id: "d", hotkey: "2" };
const press = (key: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; altKey: boolean; shiftKey: boolean }> = {}) => ({
  key,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  shiftKey: false,
  ...mods,
});

describe("reviewActionFor", () => {
  it("accepts with Enter or a, rejects with x or Delete, moves with arrows or j/k", () => {
    const classes = [cat, dog];
    expect(reviewActionFor(press("Enter"), classes, "c")).toEqual({ kind: "accept" });
    expect(reviewActionFor(press("a"), classes, "c")).toEqual({ kind: "accept" });
    expect(reviewActionFor(press("x"), classes, "c")).toEqual({ kind: "reject" });
    expect(reviewActionFor(press("Delete"), classes, "c")).toEqual({ kind: "reject" });
    expect(reviewActionFor(press("ArrowDown"), classes, "c")).toEqual({ kind: "move", by: 1 });
    expect(reviewActionFor(press("k"), classes, "c")).toEqual({ kind: "move", by: -1 });
  });
  it("corrects with another class's hotkey, and takes the suggested class's hotkey as accept", () => {
    expect(reviewActionFor(press("2"), [cat, dog], "c")).toEqual({ kind: "correct", classId: "d" });
    expect(reviewActionFor(press("1"), [cat, dog], "c")).toEqual({ kind: "accept" });
  });
  it("lets class hotkeys win over the letter shortcuts", () => {
    const x = { id: "x-class", hotkey: "x" };
    expect(reviewActionFor(press("x"), [cat, x], "c")).toEqual({ kind: "correct", classId: "x-class" });
    expect(reviewKeys([cat, x]).reject).toEqual(["Delete"]);
  });
  it("undoes with Ctrl+Z and ignores other modified keys", () => {
    expect(reviewActionFor(press("z", { ctrlKey: true }), [cat], "c")).toEqual({ kind: "undo" });
    expect(reviewActionFor(press("a", { ctrlKey: true }), [cat], "c")).toBeNull();
    expect(reviewActionFor(press("q"), [cat], "c")).toBeNull();
  });
});
