// Colours offered for new classes: the same distinct, readable-on-white set the api uses for classes made without one.
export const classPalette = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324", "#469990", "#808000"];

export function nextColor(used: string[]): string {
  return classPalette.find((c) => !used.includes(c)) ?? classPalette[used.length % classPalette.length]!;
}

/** The first digit 1-9, 0, then letter not yet taken, so new classes get a usable hotkey by default. */
export function nextHotkey(used: (string | null | undefined)[]): string | null {
  const keys = "1234567890abcdefghijklmnopqrstuvwxyz";
  return [...keys].find((k) => !used.includes(k)) ?? null;
}
