"use client";
// /projects/[id]/map: the embedding map (issue 17, item 4). Every image the trainer has embedded is a point, placed so
// that images its encoder finds alike lie together; colour by label, suggestion or confidence; hover for a thumbnail;
// lasso a region to label it at once or to open it in the grid. Labels given anywhere recolour the points live.
import { useMutation, useQuery } from "@tanstack/react-query";
import { useParams, useRouter } from "next/navigation";
import { useCallback, useEffect, useMemo, useState } from "react";
import { MapCanvas } from "~/components/map/map-canvas";
import { ProjectLoadError } from "~/components/projects/project-load-error";
import { SubpageHeader } from "~/components/projects/subpage-header";
import { Kbd } from "~/components/labelling/shortcut-help";
import { Button } from "~/components/ui/button";
import { EmptyState } from "~/components/ui/empty-state";
import { LoadingPanel } from "~/components/ui/spinner";
import { useToast } from "~/components/ui/toast";
import { errorMessage } from "~/lib/errors";
import { formatCount, plural } from "~/lib/format";
import { classForKey, ignoreKey } from "~/lib/hotkeys";
import { labelImages, undoBulkAction } from "~/lib/labelling/bulk-label";
import { type MapColouring, NONE_COLOUR, pointPixels } from "~/lib/map/colours";
import { useProjectLive } from "~/lib/realtime/use-project-live";
import { useTRPC } from "~/lib/trpc";
import { useDocumentTitle } from "~/lib/use-document-title";
import { useMe } from "~/lib/use-me";

const colourings: { value: MapColouring; label: string }[] = [
  { value: "label", label: "Label" },
  { value: "suggestion", label: "Suggestion" },
  { value: "confidence", label: "Confidence" },
];

export default function MapPage() {
  const { id: projectId } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const router = useRouter();
  const toast = useToast();
  const me = useMe().data;
  const project = useQuery(trpc.projects.get.queryOptions({ projectId }));
  const map = useQuery(trpc.images.map.queryOptions({ projectId }));
  useProjectLive(projectId);
  useDocumentTitle(project.data?.name && `Map of ${project.data.name}`);
  const [colouring, setColouring] = useState<MapColouring>("label");
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const [lassoMode, setLassoMode] = useState(false);
  const [fitSignal, setFitSignal] = useState(0);
  const [hover, setHover] = useState<{ index: number; x: number; y: number } | null>(null);
  const [busy, setBusy] = useState(false);
  const saveSelection = useMutation(trpc.images.saveSelection.mutationOptions());

  const data = map.data;
  const classes = project.data?.classes;
  // Points stay where they are as labels change; only a new map (another encoder version or more images) moves them.
  // biome-ignore lint/correctness/useExhaustiveDependencies: keyed on the map's identity, not on every refetch of it
  const xy = useMemo(() => Float32Array.from(data?.xy ?? []), [data?.modelVersionId, data?.ids.length]);
  const classColours = useMemo(() => data?.classIds.map((id) => classes?.find((c) => c.id === id)?.color ?? "#94a3b8") ?? [], [data?.classIds, classes]);
  const pixels = useMemo(() => (data ? pointPixels(data, classColours, colouring) : new Uint32Array()), [data, classColours, colouring]);
  const counts = useMemo(() => {
    const per = new Map<number, number>();
    const of = colouring === "label" ? data?.label : data?.suggestion;
    for (const v of of ?? []) per.set(v, (per.get(v) ?? 0) + 1);
    return per;
  }, [data, colouring]);

  // A new map (ids change) invalidates indices into the old one.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the map's identity changes
  useEffect(() => setSelected(new Set()), [data?.modelVersionId, data?.ids.length]);

  const onLasso = useCallback((indices: number[], additive: boolean) => setSelected((old) => new Set(additive ? [...old, ...indices] : indices)), []);
  const onPointClick = useCallback(
    (i: number) =>
      setSelected((old) => {
        const next = new Set(old);
        if (!next.delete(i)) next.add(i);
        return next;
      }),
    [],
  );

  const label = useCallback(
    async (classId: string) => {
      if (!data || selected.size === 0 || busy) return;
      const c = classes?.find((x) => x.id === classId);
      setBusy(true);
      try {
        const result = await labelImages(
          projectId,
          [...selected].map((i) => data.ids[i]!),
          classId,
        );
        setSelected(new Set());
        toast.show({
          text: `Labelled ${plural(result.count, "image")} as ${c?.name ?? "that class"}.`,
          action: undoBulkAction(projectId, me?.id, result, toast.show),
        });
      } catch (err) {
        toast.show({ text: errorMessage(err), tone: "error" });
      } finally {
        setBusy(false);
      }
    },
    [data, selected, busy, classes, projectId, toast.show, me],
  );

  const openInGrid = useCallback(async () => {
    if (!data || selected.size === 0) return;
    try {
      const { selectionId } = await saveSelection.mutateAsync({ projectId, imageIds: [...selected].map((i) => data.ids[i]!) });
      router.push(`/projects/${projectId}?selection=${selectionId}`);
    } catch (err) {
      toast.show({ text: errorMessage(err), tone: "error" });
    }
  }, [data, selected, saveSelection, projectId, router, toast.show]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName))) return;
      if (e.key === "Escape") setSelected(new Set());
      else if (e.key === "l" && !e.ctrlKey && !e.metaKey && !e.altKey) setLassoMode((m) => !m);
      else if (e.key === "f" && !e.ctrlKey && !e.metaKey && !e.altKey) setFitSignal((s) => s + 1);
      else if (selected.size > 0 && classes && !ignoreKey(e)) {
        const c = classForKey(classes, e.key);
        if (c) {
          e.preventDefault();
          void label(c.id);
        }
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [selected, classes, label]);

  if (project.isPending) return <LoadingPanel label="Loading project…" />;
  if (project.isError) return <ProjectLoadError error={project.error} />;
  const p = project.data;
  const classIndexName = (i: number) => (i >= 0 ? (p.classes.find((c) => c.id === data?.classIds[i])?.name ?? "a removed class") : null);
  const hovered = hover && data && hover.index < data.ids.length ? hover.index : null;

  return (
    <main className="mx-auto flex h-[calc(100dvh-3.5rem)] max-w-[1600px] flex-col gap-4 px-4 pt-6 pb-4 sm:px-6" data-testid="map-page">
      <SubpageHeader project={p} title="Embedding map" />
      {map.isPending ? (
        <LoadingPanel label="Loading the map…" />
      ) : map.isError ? (
        <ProjectLoadError error={map.error} />
      ) : !data || data.ids.length === 0 ? (
        <EmptyState title="No map yet">
          The trainer draws the map from its pretrained encoder: every image becomes a point, and images it finds alike lie together. It appears here a few minutes after the first pretraining has
          finished{data && data.missing > 0 ? ` (${plural(data.missing, "image")} waiting)` : ""}.
        </EmptyState>
      ) : (
        <>
          <div className="flex flex-wrap items-center gap-3 text-sm">
            <fieldset className="inline-flex rounded-md bg-slate-100 p-0.5">
              <legend className="sr-only">Colour points by</legend>
              {colourings.map((c) => (
                <button
                  key={c.value}
                  type="button"
                  aria-pressed={colouring === c.value}
                  data-testid={`colour-${c.value}`}
                  onClick={() => setColouring(c.value)}
                  className={`rounded px-3 py-1 font-medium transition ${colouring === c.value ? "bg-white text-slate-900 shadow-xs" : "text-slate-600 hover:text-slate-900"}`}
                >
                  {c.label}
                </button>
              ))}
            </fieldset>
            <Button size="sm" variant={lassoMode ? "primary" : "secondary"} aria-pressed={lassoMode} onClick={() => setLassoMode((m) => !m)} data-testid="lasso-mode">
              Lasso <Kbd>L</Kbd>
            </Button>
            <Button size="sm" variant="ghost" onClick={() => setFitSignal((s) => s + 1)} data-testid="fit-map">
              Fit <Kbd>F</Kbd>
            </Button>
            <span className="text-xs text-slate-500" data-testid="map-summary">
              {formatCount(data.ids.length)} images from encoder v{data.version}
              {data.missing > 0 ? `; ${formatCount(data.missing)} not on the map yet` : ""}. Scroll to zoom, drag to pan, Shift-drag to lasso.
            </span>
          </div>
          {selected.size > 0 && (
            <div
              className="flex flex-wrap items-center gap-2 rounded-lg bg-indigo-50 px-3 py-2 ring-1 ring-indigo-200"
              role="toolbar"
              aria-label="Label the selected points"
              data-testid="map-selection-bar"
            >
              <span className="mr-1 text-sm font-semibold text-indigo-900" data-testid="map-selected-count" data-count={selected.size}>
                {formatCount(selected.size)} selected
              </span>
              <span className="text-xs text-indigo-700">Label as</span>
              {p.classes.map((c) => (
                <button
                  key={c.id}
                  type="button"
                  disabled={busy}
                  onClick={() => void label(c.id)}
                  data-testid="map-bulk-class"
                  data-class-name={c.name}
                  className="inline-flex items-center gap-1.5 rounded-full bg-white py-1 pr-1.5 pl-2.5 text-xs font-medium text-slate-700 ring-1 ring-slate-300 transition hover:ring-indigo-400 disabled:opacity-50"
                >
                  <span className="size-2.5 rounded-full" style={{ backgroundColor: c.color }} aria-hidden="true" />
                  {c.name}
                  {c.hotkey && <Kbd>{c.hotkey}</Kbd>}
                </button>
              ))}
              <span className="ml-auto flex items-center gap-1">
                <Button size="sm" variant="secondary" onClick={() => void openInGrid()} loading={saveSelection.isPending} data-testid="open-selection-in-grid">
                  Open in grid
                </Button>
                <Button size="sm" variant="ghost" onClick={() => setSelected(new Set())}>
                  Clear <Kbd>Esc</Kbd>
                </Button>
              </span>
            </div>
          )}
          <div className="flex min-h-0 flex-1 gap-4">
            <div className="relative min-h-0 flex-1 overflow-hidden rounded-lg bg-slate-50 ring-1 ring-slate-200">
              <MapCanvas xy={xy} pixels={pixels} selected={selected} lassoMode={lassoMode} fitSignal={fitSignal} onLasso={onLasso} onPointClick={onPointClick} onHover={setHover} />
              {hovered !== null && hover && (
                <div
                  className="pointer-events-none absolute z-10 w-40 rounded-md bg-white p-2 text-xs shadow-lg ring-1 ring-slate-200"
                  style={{ left: Math.min(hover.x + 14, 10_000), top: hover.y + 14 }}
                  data-testid="map-tooltip"
                >
                  <img src={`/api/images/${data.ids[hovered]}/thumbnail`} alt="" className="mb-1.5 aspect-square w-full rounded bg-slate-100 object-contain" />
                  <div className="font-medium text-slate-900">{classIndexName(data.label[hovered]!) ?? "Unlabelled"}</div>
                  {data.suggestion[hovered]! >= 0 && (
                    <div className="text-slate-500">
                      suggests {classIndexName(data.suggestion[hovered]!)} ({Math.round(data.confidence[hovered]! * 100)}%)
                    </div>
                  )}
                </div>
              )}
            </div>
            <aside className="w-48 shrink-0 space-y-1 overflow-y-auto text-sm" aria-label="Legend" data-testid="map-legend">
              <h2 className="mb-2 text-xs font-semibold tracking-wide text-slate-500 uppercase">
                {colouring === "confidence" ? "Suggestion's confidence" : colouring === "label" ? "Labels" : "Suggestions"}
              </h2>
              {colouring === "confidence" ? (
                <div className="space-y-1">
                  <div className="h-2.5 rounded-full bg-gradient-to-r from-[#dc3c28] via-[#dcc828] to-[#1eb43c]" />
                  <div className="flex justify-between text-xs text-slate-500">
                    <span>unsure</span>
                    <span>sure</span>
                  </div>
                </div>
              ) : (
                <ul className="space-y-1">
                  {data.classIds.map((id, i) => (
                    <li key={id} className="flex items-center gap-2">
                      <span className="size-2.5 shrink-0 rounded-full" style={{ backgroundColor: classColours[i] }} aria-hidden="true" />
                      <span className="truncate">{classIndexName(i)}</span>
                      <span className="ml-auto text-xs text-slate-500 tabular-nums">{formatCount(counts.get(i) ?? 0)}</span>
                    </li>
                  ))}
                  <li className="flex items-center gap-2 text-slate-500">
                    <span className="size-2.5 shrink-0 rounded-full" style={{ backgroundColor: NONE_COLOUR }} aria-hidden="true" />
                    {colouring === "label" ? "Unlabelled" : "No suggestion"}
                    <span className="ml-auto text-xs tabular-nums">{formatCount(counts.get(-1) ?? 0)}</span>
                  </li>
                </ul>
              )}
            </aside>
          </div>
        </>
      )}
      {toast.element}
    </main>
  );
}
