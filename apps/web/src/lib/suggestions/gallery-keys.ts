// The suggestion gallery's keyboard: move over the tiles as they are laid out (rows of `columns`), mark the wrong
// ones, apply (accept the rest), step between classes, undo. Class hotkeys stay the classes' (a class may be "x"):
// Space always marks and Enter always applies.
import type { LabelClass } from "../api-types";
import { classHotkeys } from "../hotkeys";

export type GalleryAction = { kind: "move"; to: number } | { kind: "mark" } | { kind: "apply" } | { kind: "clearMarks" } | { kind: "class"; by: 1 | -1 } | { kind: "undo" };

export interface GalleryKeys {
  mark: string[];
  apply: string[];
  previousClass: string[];
  nextClass: string[];
}

export function galleryKeys(classes: readonly Pick<LabelClass, "hotkey">[]): GalleryKeys {
  const taken = classHotkeys(classes);
  const free = (k: string) => (taken.has(k) ? [] : [k]);
  return { mark: ["Space", ...free("x")], apply: ["Enter"], previousClass: free("["), nextClass: free("]") };
}

/** What a key does with `count` tiles, `columns` a row, the tile `at` focused; null leaves the key alone. */
export function galleryActionFor(
  e: Pick<KeyboardEvent, "key" | "ctrlKey" | "metaKey" | "altKey" | "shiftKey">,
  classes: readonly Pick<LabelClass, "hotkey">[],
  at: number,
  count: number,
  columns: number,
): GalleryAction | null {
  if ((e.ctrlKey || e.metaKey) && !e.shiftKey && e.key.toLowerCase() === "z") return { kind: "undo" };
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  const keys = galleryKeys(classes);
  const key = e.key === " " ? "Space" : e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (keys.mark.includes(key)) return count > 0 ? { kind: "mark" } : null;
  if (keys.apply.includes(key)) return count > 0 ? { kind: "apply" } : null;
  if (key === "Escape") return { kind: "clearMarks" };
  if (keys.previousClass.includes(key)) return { kind: "class", by: -1 };
  if (keys.nextClass.includes(key)) return { kind: "class", by: 1 };
  if (count === 0) return null;
  const cols = Math.max(1, columns);
  const clamp = (i: number) => Math.max(0, Math.min(count - 1, i));
  const step: Record<string, number> = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -cols, ArrowDown: cols };
  if (key in step) {
    const to = clamp(at + step[key]!);
    return to === at ? null : { kind: "move", to };
  }
  if (key === "Home") return { kind: "move", to: 0 };
  if (key === "End") return { kind: "move", to: count - 1 };
  return null;
}

/** Marks after a shift-click: every tile between the last one clicked and this one takes this one's new state. */
export function markRange(marked: ReadonlySet<string>, ids: readonly string[], from: number, to: number): Set<string> {
  const next = new Set(marked);
  const on = !marked.has(ids[to]!);
  for (let i = Math.min(from, to); i <= Math.max(from, to); i++) {
    if (on) next.add(ids[i]!);
    else next.delete(ids[i]!);
  }
  return next;
}
