"use client";
// Counts per class as coloured chips; a click shows only that class (a second click shows everything again).
import type { LabelClass } from "~/lib/api-types";
import { formatCount } from "~/lib/format";

export function ClassChips({
  classes,
  counts,
  activeClassId,
  onSelect,
}: {
  classes: LabelClass[];
  counts: Map<string, number>;
  activeClassId: string | null;
  onSelect: (classId: string | null) => void;
}) {
  if (classes.length === 0) return <p className="text-sm text-slate-500">No classes yet.</p>;
  return (
    <ul className="flex flex-wrap gap-2" aria-label="Images per class">
      {classes.map((c) => {
        const active = c.id === activeClassId;
        return (
          <li key={c.id}>
            <button
              type="button"
              data-testid="class-count"
              data-class-name={c.name}
              data-count={counts.get(c.id) ?? 0}
              aria-pressed={active}
              onClick={() => onSelect(active ? null : c.id)}
              className={`inline-flex items-center gap-1.5 rounded-full py-1 pr-1 pl-2.5 text-xs font-medium ring-1 transition ${
                active ? "bg-slate-900 text-white ring-slate-900" : "bg-white text-slate-700 ring-slate-200 hover:ring-slate-400"
              }`}
            >
              <span className="size-2.5 rounded-full ring-1 ring-black/10" style={{ backgroundColor: c.color }} aria-hidden="true" />
              {c.name}
              {c.hotkey && <kbd className={`font-mono text-[10px] ${active ? "text-slate-300" : "text-slate-400"}`}>{c.hotkey}</kbd>}
              <span className={`rounded-full px-1.5 py-0.5 tabular-nums ${active ? "bg-white/20" : "bg-slate-100"}`}>{formatCount(counts.get(c.id) ?? 0)}</span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}
