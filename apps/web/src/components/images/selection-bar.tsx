"use client";
// Shown while grid images are selected: label them all with one class (click or its hotkey), select everything on
// screen, or clear the selection.
import type { ReactNode } from "react";
import type { LabelClass } from "~/lib/api-types";
import { formatCount } from "~/lib/format";
import { Kbd } from "../labelling/shortcut-help";
import { Button } from "../ui/button";

export function SelectionBar({
  count,
  classes,
  busy,
  onLabel,
  onSelectVisible,
  onClear,
  extra,
}: {
  count: number;
  classes: readonly LabelClass[];
  busy: boolean;
  onLabel: (classId: string) => void;
  onSelectVisible: () => void;
  onClear: () => void;
  /** Further actions on the selection (the "Hidden" view's "Show again"). */
  extra?: ReactNode;
}) {
  return (
    <div className="flex flex-wrap items-center gap-2 rounded-lg bg-indigo-50 px-3 py-2 ring-1 ring-indigo-200" data-testid="selection-bar" role="toolbar" aria-label="Label the selected images">
      <span className="mr-1 text-sm font-semibold text-indigo-900" data-testid="selected-count" data-count={count}>
        {formatCount(count)} selected
      </span>
      <span className="text-xs text-indigo-700">Label as</span>
      {classes.map((c) => (
        <button
          key={c.id}
          type="button"
          disabled={busy}
          onClick={() => onLabel(c.id)}
          data-testid="bulk-class"
          data-class-name={c.name}
          className="inline-flex items-center gap-1.5 rounded-full bg-white py-1 pr-1.5 pl-2.5 text-xs font-medium text-slate-700 ring-1 ring-slate-300 transition hover:ring-indigo-400 disabled:opacity-50"
        >
          <span className="size-2.5 rounded-full" style={{ backgroundColor: c.color }} aria-hidden="true" />
          {c.name}
          {c.hotkey && <Kbd>{c.hotkey}</Kbd>}
        </button>
      ))}
      <span className="ml-auto flex items-center gap-1">
        {extra}
        <Button size="sm" variant="ghost" onClick={onSelectVisible} data-testid="select-visible">
          Select all on screen
        </Button>
        <Button size="sm" variant="ghost" onClick={onClear} data-testid="clear-selection">
          Clear <Kbd>Esc</Kbd>
        </Button>
      </span>
    </div>
  );
}
