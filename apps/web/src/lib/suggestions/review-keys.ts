// The review queue's keyboard: accept, reject, correct as a class (the class hotkeys of labelling), move up and down.
// A project's class hotkeys win over the letter shortcuts (a class may have the key "a" or "x"); Enter, Delete and the
// arrow keys always work.
import type { LabelClass } from "../api-types";
import { classHotkeys } from "../hotkeys";

export type ReviewAction = { kind: "accept" } | { kind: "reject" } | { kind: "correct"; classId: string } | { kind: "move"; by: 1 | -1 } | { kind: "undo" };

export interface ReviewKeys {
  accept: string[];
  reject: string[];
  next: string[];
  previous: string[];
}

/** The keys of each action for these classes, for the on-screen legend and for `reviewActionFor`. */
export function reviewKeys(classes: readonly Pick<LabelClass, "hotkey">[]): ReviewKeys {
  const taken = classHotkeys(classes);
  const free = (k: string) => (taken.has(k) ? [] : [k]);
  return {
    accept: ["Enter", ...free("a")],
    reject: [...free("x"), "Delete"],
    next: ["↓", ...free("j")],
    previous: ["↑", ...free("k")],
  };
}

const keyName: Record<string, string> = { ArrowDown: "↓", ArrowUp: "↑" };

/** What a key press does in the queue; `suggestedClassId` turns "correct as the suggested class" into accept. */
export function reviewActionFor(
  e: Pick<KeyboardEvent, "key" | "ctrlKey" | "metaKey" | "altKey" | "shiftKey">,
  classes: readonly Pick<LabelClass, "id" | "hotkey">[],
  suggestedClassId: string | null,
): ReviewAction | null {
  if ((e.ctrlKey || e.metaKey) && !e.shiftKey && e.key.toLowerCase() === "z") return { kind: "undo" };
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  const key = keyName[e.key] ?? (e.key.length === 1 ? e.key.toLowerCase() : e.key);
  const c = key.length === 1 ? classes.find((x) => x.hotkey === key) : undefined;
  if (c) return c.id === suggestedClassId ? { kind: "accept" } : { kind: "correct", classId: c.id };
  const keys = reviewKeys(classes);
  if (keys.accept.includes(key)) return { kind: "accept" };
  if (keys.reject.includes(key)) return { kind: "reject" };
  if (keys.next.includes(key)) return { kind: "move", by: 1 };
  if (keys.previous.includes(key)) return { kind: "move", by: -1 };
  return null;
}
