"use client";
// Which grid images are selected for bulk labelling: Ctrl/Cmd-click toggles one, Shift-click adds the range from the
// last clicked image, "select all on screen" adds what is visible.
import { useCallback, useRef, useState } from "react";

export function useSelection() {
  const [selected, setSelected] = useState<ReadonlySet<string>>(() => new Set());
  const anchor = useRef<number | null>(null);

  const toggle = useCallback((id: string, index: number) => {
    anchor.current = index;
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }, []);

  /** Adds the range from the anchor to `index`; `idsBetween` knows which images those are. */
  const extendTo = useCallback((index: number, idsBetween: (a: number, b: number) => string[]) => {
    const from = anchor.current ?? index;
    anchor.current = index;
    setSelected((s) => new Set([...s, ...idsBetween(from, index)]));
  }, []);

  const add = useCallback((ids: string[]) => setSelected((s) => new Set([...s, ...ids])), []);

  const clear = useCallback(() => {
    anchor.current = null;
    setSelected(new Set());
  }, []);

  return { selected, toggle, extendTo, add, clear };
}
