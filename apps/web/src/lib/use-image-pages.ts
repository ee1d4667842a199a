"use client";
// Images of a filtered project, fetched a page at a time by offset: only the pages under the viewport are asked for,
// so a grid of 10,000+ images holds a few hundred items at once. Pages stay cached while scrolling back and forth.
import { useQueries, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback } from "react";
import type { ImageFilter, ImageListItem } from "./api-types";
import { useTRPC } from "./trpc";

export const imagePageSize = 200;

function pageInput(projectId: string, filter: ImageFilter, page: number) {
  return { projectId, filter, cursor: page * imagePageSize, limit: imagePageSize };
}

/** The first page, which also carries the total; the grid needs the total before it knows what is visible. */
export function useImageTotal(projectId: string, filter: ImageFilter) {
  const trpc = useTRPC();
  return useQuery(trpc.images.list.queryOptions(pageInput(projectId, filter, 0)));
}

/** The pages covering items [first, last]; `itemAt(i)` answers undefined for an item still loading. */
export function useImagePages(projectId: string, filter: ImageFilter, first: number, last: number) {
  const trpc = useTRPC();
  const pages: number[] = [];
  if (last >= first) for (let p = Math.floor(first / imagePageSize); p <= Math.floor(last / imagePageSize); p++) pages.push(p);
  const results = useQueries({
    queries: pages.map((p) => ({ ...trpc.images.list.queryOptions(pageInput(projectId, filter, p)), staleTime: 30_000 })),
  });
  const byPage = new Map<number, ImageListItem[]>();
  results.forEach((r, i) => r.data && byPage.set(pages[i]!, r.data.items));
  return {
    itemAt: (index: number): ImageListItem | undefined => byPage.get(Math.floor(index / imagePageSize))?.[index % imagePageSize],
    error: results.find((r) => r.error)?.error ?? null,
  };
}

/**
 * Reads images from whatever pages are cached (not only those under the viewport): a Shift-click range may span
 * pages scrolled past. Undefined for an image whose page was never fetched.
 */
export function useCachedImageAt(projectId: string, filter: ImageFilter) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  return useCallback(
    (index: number): ImageListItem | undefined => {
      const page = qc.getQueryData(trpc.images.list.queryKey(pageInput(projectId, filter, Math.floor(index / imagePageSize))));
      return page?.items[index % imagePageSize];
    },
    [qc, trpc, projectId, filter],
  );
}
