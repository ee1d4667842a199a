// One thumbnail in the grid, with its label's colour and name (or "unlabelled"), whether it is selected for bulk
// labelling, and who of the team is looking at it right now.
import type { PresenceEntry } from "@fewlabel/realtime";
import { memo, type MouseEvent, useEffect, useRef, useState } from "react";
import type { ImageListItem, LabelClass } from "~/lib/api-types";
import { Avatar, personColor } from "../live/presence-avatars";

export const ImageTile = memo(function ImageTile({
  image,
  index,
  labelClass,
  size,
  selected,
  viewers,
  suggestion,
  onClick,
}: {
  image: ImageListItem;
  index: number;
  labelClass: LabelClass | undefined;
  size: number;
  selected: boolean;
  viewers: PresenceEntry[] | undefined;
  /** The model's pending suggestion for an unlabelled image. */
  suggestion?: { labelClass: LabelClass; confidence: number } | undefined;
  onClick: (index: number, image: ImageListItem, e: MouseEvent) => void;
}) {
  const watched = viewers && viewers.length > 0;
  return (
    <button
      type="button"
      data-testid="image-tile"
      data-image-id={image.id}
      data-selected={selected || undefined}
      data-viewed-by={watched ? viewers.map((v) => v.name).join(",") : undefined}
      aria-pressed={selected}
      onClick={(e) => onClick(index, image, e)}
      title={watched ? `${image.filename} · ${viewers.map((v) => v.name).join(", ")} looking at it` : image.filename}
      className={`group relative flex flex-col overflow-hidden rounded-md bg-white text-left transition focus-visible:ring-2 focus-visible:ring-indigo-600 focus-visible:outline-none ${
        selected ? "ring-[3px] ring-indigo-600" : "ring-1 ring-slate-200 hover:ring-2 hover:ring-indigo-400"
      }`}
      style={{ width: size, ...(watched && !selected ? { boxShadow: `0 0 0 3px ${personColor(viewers[0]!.userId)}` } : {}) }}
    >
      <div className="relative bg-slate-100" style={{ height: size }}>
        <Thumbnail imageId={image.id} alt={image.filename} pixelated={Math.max(image.width, image.height) <= 64} />
        {labelClass && <span className="absolute inset-x-0 top-0 h-1" style={{ backgroundColor: labelClass.color }} aria-hidden="true" />}
        <span
          className={`absolute top-1.5 left-1.5 grid size-5 place-items-center rounded-full text-[11px] font-bold transition ${
            selected ? "bg-indigo-600 text-white" : "bg-white/80 text-transparent opacity-0 ring-1 ring-slate-300 group-hover:opacity-100"
          }`}
          aria-hidden="true"
        >
          ✓
        </span>
        {watched && (
          <span className="absolute right-1 bottom-1 flex -space-x-1" data-testid="tile-viewers">
            {viewers.slice(0, 3).map((v) => (
              <Avatar key={v.userId} entry={v} size="sm" />
            ))}
          </span>
        )}
      </div>
      <div className="flex h-7 items-center gap-1.5 border-t border-slate-100 px-2 text-xs">
        {labelClass ? (
          <>
            <span className="size-2 shrink-0 rounded-full" style={{ backgroundColor: labelClass.color }} aria-hidden="true" />
            <span className="shrink-0 font-medium text-slate-700" data-testid="tile-label">
              {labelClass.name}
            </span>
          </>
        ) : suggestion ? (
          <span
            className="flex shrink-0 items-center gap-1 text-slate-500 italic"
            data-testid="tile-suggestion"
            data-class-name={suggestion.labelClass.name}
            title={`The model suggests ${suggestion.labelClass.name} (${Math.round(suggestion.confidence * 100)}% sure); not labelled yet`}
          >
            <span className="size-2 shrink-0 rounded-full border border-dashed" style={{ borderColor: suggestion.labelClass.color }} aria-hidden="true" />
            <span data-testid="tile-label" className="sr-only">
              unlabelled
            </span>
            {suggestion.labelClass.name}? {Math.round(suggestion.confidence * 100)}%
          </span>
        ) : (
          <span className="shrink-0 text-slate-400 italic" data-testid="tile-label">
            unlabelled
          </span>
        )}
        <FileName name={image.filename.split("/").pop()!} />
      </div>
    </button>
  );
});

/**
 * A file name cut in the middle when it does not fit: names in a batch share their start ("IMG_2024_06_…") and differ
 * at the end (the number, the extension), so the end stays whole.
 */
function FileName({ name }: { name: string }) {
  const keep = Math.min(name.length, 10);
  return (
    <span className="flex min-w-0 text-slate-400" data-testid="tile-filename">
      <span className="truncate">{name.slice(0, name.length - keep)}</span>
      <span className="shrink-0 whitespace-pre">{name.slice(name.length - keep)}</span>
    </span>
  );
}

export function TileSkeleton({ size }: { size: number }) {
  return (
    <div className="flex flex-col overflow-hidden rounded-md bg-white ring-1 ring-slate-200" style={{ width: size }} aria-hidden="true">
      <div className="animate-pulse bg-slate-100" style={{ height: size }} />
      <div className="h-7 border-t border-slate-100" />
    </div>
  );
}

/** A 1x1 transparent GIF: pointing an unmounting <img> at it makes Chrome drop the thumbnail request still queued. */
const blank = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";

/**
 * The thumbnail <img>, mounted only once the tile has stayed on screen for a moment, and its request dropped when
 * the tile leaves: a fast fling through 10,000 images would otherwise queue hundreds of requests (six at a time per
 * host) for tiles already gone, and the ones finally in view would wait behind them.
 */
function Thumbnail({ imageId, alt, pixelated }: { imageId: string; alt: string; pixelated: boolean }) {
  const [show, setShow] = useState(false);
  const ref = useRef<HTMLImageElement>(null);
  useEffect(() => {
    const t = setTimeout(() => setShow(true), 150);
    return () => clearTimeout(t);
  }, []);
  useEffect(() => {
    const img = ref.current;
    return () => {
      if (img && !img.complete) img.src = blank;
    };
  }, [show]);
  if (!show) return null;
  return (
    <img
      ref={ref}
      src={`/api/images/${imageId}/thumbnail`}
      alt={alt}
      loading="lazy"
      decoding="async"
      draggable={false}
      className={`absolute inset-0 size-full object-contain ${pixelated ? "[image-rendering:pixelated]" : ""}`}
    />
  );
}
