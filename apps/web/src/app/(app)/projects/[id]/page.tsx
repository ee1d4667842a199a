"use client";
// A project: counts, filters, the image grid with its detail view, bulk labelling of selected tiles, who is online,
// and uploads for those allowed to upload. Everything updates live as the team labels.
import type { PresenceEntry } from "@fewlabel/realtime";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useParams } from "next/navigation";
import { type MouseEvent, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { FilterBar, noFilter } from "~/components/images/filter-bar";
import { ImageDetail } from "~/components/images/image-detail";
import { type GridHandle, ImageGrid } from "~/components/images/image-grid";
import { SelectionBar } from "~/components/images/selection-bar";
import { ProjectHeader } from "~/components/projects/project-header";
import { UploadDropzone } from "~/components/upload/upload-dropzone";
import { UploadPanel } from "~/components/upload/upload-panel";
import { Button, buttonClass } from "~/components/ui/button";
import { EmptyState } from "~/components/ui/empty-state";
import { LoadingPanel } from "~/components/ui/spinner";
import { useToast } from "~/components/ui/toast";
import type { ImageFilter, ImageListItem } from "~/lib/api-types";
import { plural } from "~/lib/format";
import { classForKey, ignoreKey, isUndoKey } from "~/lib/hotkeys";
import { labelImages, undoBulkAction } from "~/lib/labelling/bulk-label";
import { undoMyLast } from "~/lib/realtime/connection";
import { usePresence, useProjectLive, useViewing } from "~/lib/realtime/use-project-live";
import { canDecide, canUpload } from "~/lib/roles";
import { errorMessage } from "~/lib/errors";
import { useTRPC, useTRPCClient } from "~/lib/trpc";
import { useDocumentTitle } from "~/lib/use-document-title";
import { useImagePages, useImageTotal } from "~/lib/use-image-pages";
import { useMe } from "~/lib/use-me";
import { useSelection } from "~/lib/use-selection";
import { useUpload } from "~/lib/upload/use-upload";
import { ProjectLoadError } from "~/components/projects/project-load-error";

export default function ProjectPage() {
  const { id: projectId } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const trpcClient = useTRPCClient();
  const project = useQuery(trpc.projects.get.queryOptions({ projectId }));
  const stats = useQuery(trpc.images.stats.queryOptions({ projectId }));
  const [filter, setFilter] = useState<ImageFilter>(noFilter);
  const [openIndex, setOpenIndex] = useState<number | null>(null);
  const firstPage = useImageTotal(projectId, filter).data;
  const matching = firstPage?.total;
  /** The file name of the image whose neighbours the grid shows ("More like this"), for the filter bar. */
  const [similarName, setSimilarName] = useState<string | null>(null);
  const upload = useUpload(projectId);
  const classesById = useMemo(() => new Map(project.data?.classes.map((c) => [c.id, c])), [project.data]);
  const selection = useSelection();
  const grid = useRef<GridHandle>(null);
  const toast = useToast();
  const me = useMe().data;
  const queryClient = useQueryClient();
  const [bulkBusy, setBulkBusy] = useState(false);
  useProjectLive(projectId);

  const onFilter = useCallback(
    (f: ImageFilter) => {
      setOpenIndex(null);
      selection.clear();
      setFilter(f);
      // A map selection arrives as ?selection=…; leaving it drops the parameter, so a reload shows the grid as left.
      if (!f.selectionId && window.location.search.includes("selection=")) window.history.replaceState(null, "", window.location.pathname);
    },
    [selection.clear],
  );

  // Opened from the embedding map's "Open in grid": show just that selection.
  useEffect(() => {
    const selectionId = new URLSearchParams(window.location.search).get("selection");
    if (selectionId && /^[0-9a-f-]{36}$/i.test(selectionId)) setFilter({ ...noFilter, selectionId });
  }, []);

  /** Every image the filter matches, fetched a page at a time (a map selection can be thousands). */
  const selectAllMatching = useCallback(async () => {
    const ids: string[] = [];
    for (let cursor: number | null = 0; cursor !== null && ids.length < 100_000; ) {
      const page: { items: { id: string }[]; nextCursor: number | null } = await trpcClient.images.list.query({ projectId, filter, cursor, limit: 1000 });
      ids.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    }
    selection.add(ids);
  }, [trpcClient, projectId, filter, selection.add]);

  // Presence: what I look at (the open image), and who is on which tile.
  const openImage = useImagePages(projectId, filter, openIndex ?? 0, openIndex ?? -1).itemAt(openIndex ?? 0);
  useViewing(projectId, openIndex !== null ? (openImage?.id ?? null) : null);
  const people = usePresence(projectId);
  const viewersByImage = useMemo(() => {
    const m = new Map<string, PresenceEntry[]>();
    for (const p of people) if (p.imageId && p.userId !== me?.id) m.set(p.imageId, [...(m.get(p.imageId) ?? []), p]);
    return m;
  }, [people, me?.id]);
  const describeImage = useCallback(
    (imageId: string) => {
      for (const [, page] of queryClient.getQueriesData<{ items: ImageListItem[] }>(trpc.images.list.queryFilter({ projectId }))) {
        const hit = page?.items.find((i) => i.id === imageId);
        if (hit) return hit.filename.split("/").pop();
      }
      return undefined;
    },
    [queryClient, trpc, projectId],
  );

  // Tiles are memoised: the click handler must not change with every selection change.
  const selecting = useRef(false);
  selecting.current = selection.selected.size > 0;
  const { extendTo, toggle } = selection;
  const onTileClick = useCallback(
    (index: number, image: ImageListItem, e: MouseEvent) => {
      if (e.shiftKey) extendTo(index, (a, b) => grid.current?.idsBetween(a, b) ?? [image.id]);
      else if (e.ctrlKey || e.metaKey || selecting.current) toggle(image.id, index);
      else setOpenIndex(index);
    },
    [extendTo, toggle],
  );

  const classes = project.data?.classes;
  const labelSelected = useCallback(
    async (classId: string) => {
      const ids = [...selection.selected];
      const c = classes?.find((x) => x.id === classId);
      if (ids.length === 0 || !c || bulkBusy) return;
      setBulkBusy(true);
      try {
        const result = await labelImages(projectId, ids, classId);
        selection.clear();
        toast.show({
          text: `Labelled ${plural(result.count, "image")} as ${c.name}.`,
          action: undoBulkAction(projectId, me?.id, result, toast.show),
        });
      } catch (err) {
        toast.show({ text: errorMessage(err), tone: "error" });
      } finally {
        setBulkBusy(false);
      }
    },
    [selection, classes, bulkBusy, projectId, toast.show, me],
  );

  /** The "Hidden" view: the selected duplicates back among the project's images. */
  const showSelected = useCallback(async () => {
    try {
      const { shown } = await trpcClient.images.show.mutate({ projectId, imageIds: [...selection.selected].slice(0, 1000) });
      selection.clear();
      toast.show({ text: `${plural(shown, "image")} shown again.` });
    } catch (err) {
      toast.show({ text: errorMessage(err), tone: "error" });
    }
  }, [trpcClient, projectId, selection, toast.show]);

  const selectVisible = useCallback(() => selection.add(grid.current?.visibleIds() ?? []), [selection.add]);

  // Grid shortcuts (the image detail has its own while it is open).
  useEffect(() => {
    if (openIndex !== null) return;
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      const typing = t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName));
      if (typing) return;
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "a") {
        e.preventDefault();
        selectVisible();
      } else if (isUndoKey(e)) {
        e.preventDefault();
        undoMyLast(projectId).then(
          () => toast.show({ text: "Undid your last label." }),
          (err: unknown) => toast.show({ text: errorMessage(err), tone: "error" }),
        );
      } else if (e.key === "Escape" && selection.selected.size > 0) selection.clear();
      else if (!ignoreKey(e) && selection.selected.size > 0 && classes) {
        const c = classForKey(classes, e.key);
        if (c) {
          e.preventDefault();
          void labelSelected(c.id);
        }
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [openIndex, selection, classes, labelSelected, selectVisible, projectId, toast.show]);

  const name = project.data?.name;
  useDocumentTitle(name);

  if (project.isPending) return <LoadingPanel label="Loading project…" />;
  if (project.isError) return <ProjectLoadError error={project.error} />;

  const p = project.data;
  const uploader = canUpload(p.role);
  const projectEmpty = stats.data?.total === 0;
  const emptyGrid = projectEmpty ? (
    uploader ? (
      <UploadDropzone large onFiles={upload.upload} disabled={upload.busy} />
    ) : (
      <EmptyState title="No images yet">An owner or reviewer of this project can upload images; they will appear here.</EmptyState>
    )
  ) : filter.similarTo && firstPage?.noEmbedding ? (
    <EmptyState
      title="No embedding for this image yet"
      action={
        <button type="button" className={buttonClass("secondary")} onClick={() => onFilter(noFilter)}>
          Back to all images
        </button>
      }
    >
      The trainer embeds every image with its pretrained encoder; &ldquo;more like this&rdquo; works once it has (a few minutes after the first pretraining, and for new uploads soon after they
      arrive).
    </EmptyState>
  ) : (
    <EmptyState
      title="No images match these filters"
      action={
        <button type="button" className={buttonClass("secondary")} onClick={() => onFilter(noFilter)}>
          Clear filters
        </button>
      }
    />
  );

  return (
    <main className="mx-auto flex h-[calc(100dvh-3.5rem)] max-w-[1600px] flex-col">
      <div className="shrink-0 space-y-4 border-b border-slate-200 px-4 pt-5 pb-4 sm:px-6">
        <ProjectHeader project={p} stats={stats.data} filter={filter} onFilter={onFilter} describeImage={describeImage} />
        {uploader && !projectEmpty && <UploadDropzone onFiles={upload.upload} disabled={upload.busy} />}
        <FilterBar
          filter={filter}
          onChange={onFilter}
          classes={p.classes}
          matching={matching}
          similarName={similarName}
          hiddenCount={stats.data?.hidden ?? 0}
          onSelectAll={() => void selectAllMatching().catch((err: unknown) => toast.show({ text: errorMessage(err), tone: "error" }))}
        />
        {selection.selected.size > 0 ? (
          <SelectionBar
            count={selection.selected.size}
            classes={p.classes}
            busy={bulkBusy}
            onLabel={(id) => void labelSelected(id)}
            onSelectVisible={selectVisible}
            onClear={selection.clear}
            extra={
              filter.status === "hidden" && canDecide(p.role) ? (
                <Button size="sm" variant="secondary" onClick={() => void showSelected()} data-testid="show-hidden">
                  Show again
                </Button>
              ) : null
            }
          />
        ) : (
          !projectEmpty && (
            <p className="text-xs text-slate-500">
              Ctrl/⌘-click tiles to select them (Shift-click for a range,{" "}
              <button type="button" className="font-medium text-indigo-600 hover:text-indigo-500" onClick={selectVisible} data-testid="select-visible">
                select all on screen
              </button>
              ), then press a class&apos;s key to label them all.
            </p>
          )
        )}
      </div>
      <div className="min-h-0 flex-1 px-1 sm:px-3">
        <ImageGrid
          projectId={projectId}
          filter={filter}
          classesById={classesById}
          onTileClick={onTileClick}
          empty={emptyGrid}
          selected={selection.selected}
          viewersByImage={viewersByImage}
          handle={grid}
        />
      </div>
      {openIndex !== null && matching !== undefined && (
        <ImageDetail
          projectId={projectId}
          filter={filter}
          index={openIndex}
          total={matching}
          classesById={classesById}
          onIndex={setOpenIndex}
          onClose={() => setOpenIndex(null)}
          onMoreLikeThis={(image) => {
            setSimilarName(image.filename);
            setOpenIndex(null);
            onFilter({ ...noFilter, sort: filter.sort, similarTo: image.id });
          }}
        />
      )}
      <UploadPanel tally={upload.tally} error={upload.error} onCancel={upload.cancel} onDismiss={upload.dismiss} />
      {toast.element}
    </main>
  );
}
