// Colours offered for new classes: the set the api uses for classes made without one.
import { classPalette } from "@fewlabel/api/palette";

export { classPalette };

export function nextColor(used: string[]): string {
  return classPalette.find((c) => !used.includes(c)) ?? classPalette[used.length % classPalette.length]!;
}

/** The first digit 1-9, 0, then letter not yet taken, so new classes get a usable hotkey by default. */
export function nextHotkey(used: (string | null | undefined)[]): string | null {
  const keys = "1234567890abcdefghijklmnopqrstuvwxyz";
  return [...keys].find((k) => !used.includes(k)) ?? null;
}
