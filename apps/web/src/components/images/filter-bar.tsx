"use client";
// Narrowing the grid: labelled or not, one class, the model's suggested class, a filename search; and its order.
import { useEffect, useRef, useState } from "react";
import type { ImageFilter, LabelClass } from "~/lib/api-types";
import { formatCount } from "~/lib/format";
import { Button } from "../ui/button";
import { inputClass } from "../ui/field";

const statuses = [
  { value: "all", label: "All" },
  { value: "labelled", label: "Labelled" },
  { value: "unlabelled", label: "Unlabelled" },
  { value: "hidden", label: "Hidden" },
] as const;

export const noFilter: ImageFilter = { status: "all", classId: null, suggestedClassId: null, similarTo: null, selectionId: null, search: "", sort: "newest" };

export function FilterBar({
  filter,
  onChange,
  classes,
  matching,
  similarName,
  onSelectAll,
  hiddenCount = 0,
}: {
  filter: ImageFilter;
  onChange: (f: ImageFilter) => void;
  classes: LabelClass[];
  matching: number | undefined;
  /** The file name of the image whose neighbours are shown (filter.similarTo). */
  similarName?: string | null;
  /** Selects every image the filter matches (offered for a map selection, which is made to be labelled at once). */
  onSelectAll?: () => void;
  /** Images hidden as duplicates: a "Hidden" status is offered while there are any (or while it is chosen). */
  hiddenCount?: number;
}) {
  const [search, setSearch] = useState(filter.search ?? "");
  const sent = useRef(filter.search ?? "");
  // Typing refilters after a pause, not on every key.
  useEffect(() => {
    if (search === (filter.search ?? "")) return;
    const t = setTimeout(() => {
      sent.current = search;
      onChange({ ...filter, search });
    }, 300);
    return () => clearTimeout(t);
  }, [search, filter, onChange]);
  // Follow changes made elsewhere ("Clear filters"), but not the echo of what was just typed.
  useEffect(() => {
    const outside = filter.search ?? "";
    if (outside !== sent.current) {
      sent.current = outside;
      setSearch(outside);
    }
  }, [filter.search]);

  const status = filter.classId ? "labelled" : (filter.status ?? "all");
  const filtered = status !== "all" || !!filter.classId || !!filter.suggestedClassId || !!filter.similarTo || !!filter.selectionId || !!filter.search;
  return (
    <div className="flex flex-wrap items-center gap-3" data-testid="filter-bar">
      {filter.similarTo && (
        <span className="inline-flex items-center gap-1.5 rounded-full bg-indigo-50 px-3 py-1 text-sm text-indigo-800 ring-1 ring-indigo-200" data-testid="similar-chip">
          More like{" "}
          <span className="max-w-48 truncate font-mono text-xs" title={similarName ?? undefined}>
            {similarName ?? "this image"}
          </span>
          , most similar first
          <button type="button" aria-label="Back to all images" className="ml-1 text-indigo-500 hover:text-indigo-700" onClick={() => onChange({ ...filter, similarTo: null })}>
            ✕
          </button>
        </span>
      )}
      {filter.selectionId && (
        <span className="inline-flex items-center gap-1.5 rounded-full bg-indigo-50 px-3 py-1 text-sm text-indigo-800 ring-1 ring-indigo-200" data-testid="selection-chip">
          Selected on the map{matching !== undefined ? `: ${formatCount(matching)}` : ""}
          {onSelectAll && (
            <button type="button" className="ml-1 font-medium text-indigo-600 hover:text-indigo-500" onClick={onSelectAll} data-testid="select-all-matching">
              select all
            </button>
          )}
          <button type="button" aria-label="Back to all images" className="ml-1 text-indigo-500 hover:text-indigo-700" onClick={() => onChange({ ...filter, selectionId: null })}>
            ✕
          </button>
        </span>
      )}
      <div className="inline-flex rounded-md bg-slate-100 p-0.5" role="group" aria-label="Label status">
        {statuses
          .filter((s) => s.value !== "hidden" || hiddenCount > 0 || filter.status === "hidden")
          .map((s) => (
            <button
              key={s.value}
              type="button"
              aria-pressed={status === s.value && !filter.classId}
              data-testid={`filter-${s.value}`}
              onClick={() => onChange({ ...filter, status: s.value, classId: null, suggestedClassId: s.value === "labelled" ? null : filter.suggestedClassId })}
              className={`rounded px-3 py-1 text-sm font-medium transition ${status === s.value && !filter.classId ? "bg-white text-slate-900 shadow-xs" : "text-slate-600 hover:text-slate-900"}`}
            >
              {s.label}
              {s.value === "hidden" && hiddenCount > 0 ? <span className="ml-1 text-xs text-slate-500 tabular-nums">{formatCount(hiddenCount)}</span> : null}
            </button>
          ))}
      </div>
      <select
        aria-label="Class"
        data-testid="filter-class"
        value={filter.classId ?? ""}
        onChange={(e) =>
          onChange({ ...filter, classId: e.target.value || null, status: e.target.value ? "labelled" : filter.status, suggestedClassId: e.target.value ? null : filter.suggestedClassId })
        }
        className={inputClass(false, "w-auto py-1.5 pr-8")}
      >
        <option value="">Any class</option>
        {classes.map((c) => (
          <option key={c.id} value={c.id}>
            {c.name}
          </option>
        ))}
      </select>
      <select
        aria-label="Suggested class"
        title="Unlabelled images whose pending model suggestion is this class"
        data-testid="filter-suggested"
        value={filter.suggestedClassId ?? ""}
        onChange={(e) =>
          onChange({
            ...filter,
            suggestedClassId: e.target.value || null,
            classId: e.target.value ? null : filter.classId,
            status: e.target.value && filter.status === "labelled" ? "all" : filter.status,
          })
        }
        className={inputClass(false, "w-auto py-1.5 pr-8")}
      >
        <option value="">Any suggestion</option>
        {classes.map((c) => (
          <option key={c.id} value={c.id}>
            Suggested: {c.name}
          </option>
        ))}
      </select>
      <select
        aria-label="Order"
        data-testid="filter-sort"
        value={filter.sort ?? "newest"}
        disabled={!!filter.similarTo}
        title={filter.similarTo ? "More like this lists the most similar first" : undefined}
        onChange={(e) => onChange({ ...filter, sort: e.target.value as NonNullable<ImageFilter["sort"]> })}
        className={inputClass(false, "w-auto py-1.5 pr-8")}
      >
        <option value="newest">Newest first</option>
        <option value="oldest">Upload order</option>
        <option value="name">By file name</option>
        <option value="leastConfident">Least sure suggestion first</option>
        <option value="mostConfident">Most sure suggestion first</option>
      </select>
      <input
        type="search"
        aria-label="Search filenames"
        data-testid="filter-search"
        placeholder="Search filenames…"
        value={search}
        onChange={(e) => setSearch(e.target.value)}
        className={inputClass(false, "w-56 py-1.5")}
      />
      <div className="ml-auto flex items-center gap-2 text-sm text-slate-500">
        {matching !== undefined && (
          <span data-testid="matching-count">
            {formatCount(matching)} {filtered ? "matching" : "images"}
          </span>
        )}
        {filtered && (
          <Button size="sm" variant="ghost" onClick={() => onChange({ ...noFilter, sort: filter.sort })}>
            Clear filters
          </Button>
        )}
      </div>
    </div>
  );
}
