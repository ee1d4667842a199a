// Keyboard shortcuts shared by the labelling view and the grid: which class a key stands for, and when keys belong
// to a text field instead.
import type { LabelClass } from "./api-types";

/** True when the key press is typing (inputs, selects, editable text) or part of a browser/OS shortcut. */
export function ignoreKey(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  if (t && (t.isContentEditable || ["TEXTAREA", "SELECT"].includes(t.tagName))) return true;
  if (t?.tagName === "INPUT") {
    const type = (t as HTMLInputElement).type;
    // A checkbox or a slider in focus (the image view's toolbar) does not type: shortcuts still work, except the keys
    // a slider moves with.
    if (type === "range") {
      if (/^(Arrow|Page|Home$|End$)/.test(e.key)) return true;
    } else if (type !== "checkbox" && type !== "radio") return true;
  }
  return e.altKey || e.metaKey || e.ctrlKey;
}

/** The keys a project's classes use (which other shortcuts leave to them). */
export function classHotkeys(classes: Iterable<Pick<LabelClass, "hotkey">>): Set<string> {
  const keys = new Set<string>();
  for (const c of classes) if (c.hotkey) keys.add(c.hotkey);
  return keys;
}

/** The class whose hotkey (a digit or lower-case letter, from the class settings) is this key. */
export function classForKey(classes: readonly LabelClass[], key: string): LabelClass | undefined {
  const k = key.toLowerCase();
  return classes.find((c) => c.hotkey === k);
}

export const isUndoKey = (e: KeyboardEvent) => (e.ctrlKey || e.metaKey) && !e.shiftKey && e.key.toLowerCase() === "z";
