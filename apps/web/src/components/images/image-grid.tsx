"use client";
// The project's images as a virtualised grid: rows of as many thumbnails as the width allows, only the rows near
// the viewport in the DOM, and only their pages fetched. Stays smooth with tens of thousands of images.
import type { PresenceEntry } from "@fewlabel/realtime";
import { keepPreviousData, skipToken, useQuery } from "@tanstack/react-query";
import { useVirtualizer } from "@tanstack/react-virtual";
import { type MouseEvent, type ReactNode, type RefObject, useEffect, useImperativeHandle, useRef } from "react";
import type { ImageFilter, ImageListItem, LabelClass } from "~/lib/api-types";
import { errorMessage } from "~/lib/errors";
import { useElementWidth } from "~/lib/use-element-width";
import { useCachedImageAt, useImagePages, useImageTotal } from "~/lib/use-image-pages";
import { useTRPC } from "~/lib/trpc";
import { Alert } from "../ui/alert";
import { LoadingPanel } from "../ui/spinner";
import { ImageTile, TileSkeleton } from "./image-tile";

const minTile = 148;
const gap = 12;
const caption = 28;

/** What the page can ask the grid (for "select all on screen" and Shift-click ranges). */
export interface GridHandle {
  /** Ids of the loaded images whose row is at least half on screen. */
  visibleIds(): string[];
  /** Ids of the images from index a to b, both included, as far as their pages have been fetched. */
  idsBetween(a: number, b: number): string[];
}

const noViewers = new Map<string, PresenceEntry[]>();

export function ImageGrid({
  projectId,
  filter,
  classesById,
  onTileClick,
  empty,
  selected,
  viewersByImage = noViewers,
  handle,
}: {
  projectId: string;
  filter: ImageFilter;
  classesById: Map<string, LabelClass>;
  onTileClick: (index: number, image: ImageListItem, e: MouseEvent) => void;
  empty: ReactNode;
  selected: ReadonlySet<string>;
  viewersByImage?: Map<string, PresenceEntry[]>;
  handle?: RefObject<GridHandle | null>;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const width = useElementWidth(scrollRef);
  const inner = Math.max(0, width - 2 * gap);
  const cols = Math.max(1, Math.floor((inner + gap) / (minTile + gap)));
  const tile = Math.floor((inner - gap * (cols - 1)) / cols);
  const rowHeight = tile + caption + gap;

  const first = useImageTotal(projectId, filter);
  const total = first.data?.total ?? 0;
  const rows = Math.ceil(total / cols);
  const virtualizer = useVirtualizer({
    count: rows,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 4,
    paddingStart: gap,
    paddingEnd: gap,
  });
  useEffect(() => virtualizer.measure(), [virtualizer, rowHeight]);
  // A new filter shows a new list: start it at the top.
  const filterKey = JSON.stringify(filter);
  useEffect(() => {
    scrollRef.current?.scrollTo({ top: 0 });
  }, [filterKey]);

  const items = virtualizer.getVirtualItems();
  const firstIndex = (items[0]?.index ?? 0) * cols;
  const lastIndex = Math.min(total, ((items.at(-1)?.index ?? -1) + 1) * cols) - 1;
  const pages = useImagePages(projectId, filter, firstIndex, lastIndex);
  // A failed background refetch (the network dropped for a moment) keeps the tiles already shown: only a grid with
  // nothing to show says why. Cached pages catch up when the connection is back (live events or the next refetch).
  const error = first.data ? null : (first.error ?? pages.error);
  const cachedAt = useCachedImageAt(projectId, filter);
  // The model's pending suggestion for each unlabelled tile in view (one query for the rows shown, refreshed by the
  // live suggestion events), so the grid shows what the model thinks before anyone opens the suggestions.
  const unlabelledInView: string[] = [];
  for (let i = firstIndex; i <= lastIndex && unlabelledInView.length < 500; i++) {
    const image = pages.itemAt(i);
    if (image && !image.labelClassId) unlabelledInView.push(image.id);
  }
  const trpc = useTRPC();
  const suggestions = useQuery({
    ...trpc.pseudoLabels.forImages.queryOptions(unlabelledInView.length ? { projectId, imageIds: unlabelledInView } : skipToken),
    placeholderData: keepPreviousData,
    staleTime: 10_000,
  });
  const suggestionOf = new Map(suggestions.data?.map((s) => [s.imageId, s]));

  useImperativeHandle(handle, () => ({
    visibleIds: () => {
      const el = scrollRef.current;
      if (!el) return [];
      const top = el.scrollTop;
      const bottom = top + el.clientHeight;
      const ids: string[] = [];
      for (const row of virtualizer.getVirtualItems()) {
        const mid = row.start + (rowHeight - gap) / 2;
        if (mid < top || mid > bottom) continue;
        for (let c = 0; c < cols; c++) {
          const image = row.index * cols + c < total ? pages.itemAt(row.index * cols + c) : undefined;
          if (image) ids.push(image.id);
        }
      }
      return ids;
    },
    idsBetween: (a, b) => {
      const ids: string[] = [];
      for (let i = Math.max(0, Math.min(a, b)); i <= Math.min(total - 1, Math.max(a, b)); i++) {
        const image = pages.itemAt(i) ?? cachedAt(i);
        if (image) ids.push(image.id);
      }
      return ids;
    },
  }));

  return (
    <div ref={scrollRef} data-testid="image-grid" data-total={total} className="relative h-full overflow-auto" tabIndex={-1}>
      {error ? (
        <div className="p-4">
          <Alert>{errorMessage(error)}</Alert>
        </div>
      ) : first.isPending || width === 0 ? (
        <LoadingPanel label="Loading images…" />
      ) : total === 0 ? (
        <div className="p-4">{empty}</div>
      ) : (
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {items.map((row) => (
            <div key={row.key} className="absolute left-0 flex" style={{ top: 0, transform: `translateY(${row.start}px)`, gap, paddingLeft: gap, height: rowHeight - gap }}>
              {Array.from({ length: cols }, (_, c) => {
                const index = row.index * cols + c;
                if (index >= total) return null;
                const image = pages.itemAt(index);
                return image ? (
                  <ImageTile
                    key={image.id}
                    image={image}
                    size={tile}
                    labelClass={image.labelClassId ? classesById.get(image.labelClassId) : undefined}
                    index={index}
                    selected={selected.has(image.id)}
                    viewers={viewersByImage.get(image.id)}
                    suggestion={image.labelClassId ? undefined : suggestedOf(suggestionOf.get(image.id), classesById)}
                    onClick={onTileClick}
                  />
                ) : (
                  <TileSkeleton key={`s${index}`} size={tile} />
                );
              })}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}

function suggestedOf(s: { classId: string; confidence: number } | undefined, classesById: Map<string, LabelClass>) {
  const c = s && classesById.get(s.classId);
  return s && c ? { labelClass: c, confidence: s.confidence } : undefined;
}
