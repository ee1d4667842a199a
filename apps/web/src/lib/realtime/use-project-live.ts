"use client";
// React side of live collaboration. `useProjectLive(projectId)` keeps the project's room joined while a page shows
// it and writes every incoming event into the TanStack Query cache (counts, grid pages, image details, history,
// the review list); components only read the cache. Data flows one way: events -> cache -> components.
import type { PresenceEntry, ProjectEvent } from "@fewlabel/realtime";
import { type QueryClient, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useSyncExternalStore } from "react";
import type { ImageFilter } from "../api-types";
import { useTRPC } from "../trpc";
import {
  type EmbeddingMapData,
  type ImagePage,
  type ImageStats,
  isLabelFiltered,
  isSuggestionOrdered,
  mapAfter,
  pageAfter,
  statsAfter,
  statusAfterActivity,
  statusAfterProgress,
  summarise,
  type TrainingStatus,
} from "./apply-events";
import { connectionStatus, setViewing, subscribeStatus, watchProject } from "./connection";

type Trpc = ReturnType<typeof useTRPC>;

const presenceKey = (projectId: string) => ["realtime", "presence", projectId] as const;
const errorKey = (projectId: string) => ["realtime", "error", projectId] as const;

/** Runs `fn` once things have been quiet for `quietMs`, but at least every `maxMs` while they are not. */
function debounce(fn: () => void, quietMs: number, maxMs: number) {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let first = 0;
  const run = () => {
    timer = null;
    first = 0;
    fn();
  };
  const call = () => {
    const now = Date.now();
    if (!first) first = now;
    if (timer) clearTimeout(timer);
    timer = setTimeout(run, Math.max(0, Math.min(quietMs, first + maxMs - now)));
  };
  call.cancel = () => timer && clearTimeout(timer);
  return call;
}

/** Everything the project's pages cache, for a full refetch (first join, or a gap too long to replay). */
function refetchProject(qc: QueryClient, trpc: Trpc, projectId: string) {
  void qc.invalidateQueries(trpc.projects.get.queryFilter({ projectId }));
  void qc.invalidateQueries(trpc.classes.list.queryFilter({ projectId }));
  void qc.invalidateQueries(trpc.images.stats.queryFilter({ projectId }));
  void qc.invalidateQueries(trpc.images.list.queryFilter({ projectId }));
  void qc.invalidateQueries(trpc.images.get.queryFilter({ projectId }));
  void qc.invalidateQueries(trpc.images.history.queryFilter({ projectId }));
  void qc.invalidateQueries(trpc.review.disagreements.infiniteQueryFilter({ projectId }));
  void qc.invalidateQueries(trpc.images.map.queryFilter({ projectId }));
  void qc.invalidateQueries({ queryKey: trpc.projects.list.queryKey(), refetchType: "none" });
  invalidateTraining(qc, trpc, projectId);
  invalidateModels(qc, trpc, projectId);
  invalidateSuggestions(qc, trpc, projectId);
}

/** The trainer's side: live status (stage, curve, lease), model versions, and the suggestions awaiting review. */
function invalidateTraining(qc: QueryClient, trpc: Trpc, projectId: string) {
  void qc.invalidateQueries(trpc.training.status.queryFilter({ projectId }));
}
function invalidateModels(qc: QueryClient, trpc: Trpc, projectId: string) {
  // A new version can change which one serves and which are regressions, so every models query is stale, not just the list.
  void qc.invalidateQueries(trpc.models.list.queryFilter({ projectId }));
  void qc.invalidateQueries(trpc.models.serving.queryFilter({ projectId }));
  void qc.invalidateQueries(trpc.models.latestStudent.queryFilter({ projectId }));
  void qc.invalidateQueries(trpc.models.get.pathFilter());
}
function invalidateSuggestions(qc: QueryClient, trpc: Trpc, projectId: string) {
  void qc.invalidateQueries(trpc.pseudoLabels.list.infiniteQueryFilter({ projectId }));
  void qc.invalidateQueries(trpc.pseudoLabels.list.queryFilter({ projectId }));
  void qc.invalidateQueries(trpc.pseudoLabels.forImages.queryFilter({ projectId }));
  void qc.invalidateQueries(trpc.pseudoLabels.bulkAcceptPreview.queryFilter({ projectId }));
  void qc.invalidateQueries(trpc.pseudoLabels.perClass.queryFilter({ projectId }));
  void qc.invalidateQueries({
    ...trpc.images.list.queryFilter({ projectId }),
    predicate: (q) => isSuggestionOrdered((q.queryKey[1] as { input?: { filter?: ImageFilter } } | undefined)?.input?.filter),
  });
}

interface Later {
  stats(): void;
  lists(): void;
  pages(): void;
  review(): void;
  training(): void;
  suggestions(): void;
  map(): void;
}

function applyEvents(qc: QueryClient, trpc: Trpc, projectId: string, events: ProjectEvent[], later: Later) {
  const s = summarise(events);
  // Progress moves the training view at once; the full curve and the run list are fetched again when things calm down.
  if (s.progress.length > 0) {
    qc.setQueryData(trpc.training.status.queryKey({ projectId }), (old: TrainingStatus | undefined) => old && s.progress.reduce((st, p) => statusAfterProgress(st, p.data, p.at), old));
    later.training();
  }
  if (s.activity) {
    const activity = s.activity;
    qc.setQueryData(trpc.training.status.queryKey({ projectId }), (old: TrainingStatus | undefined) => old && statusAfterActivity(old, activity));
  }
  if (s.controlChanged) invalidateTraining(qc, trpc, projectId);
  if (s.modelsChanged) {
    invalidateModels(qc, trpc, projectId);
    invalidateTraining(qc, trpc, projectId);
  }
  // New or reviewed suggestions, and labels (a labelled image leaves the queue), change what awaits review.
  if (s.suggestionsChanged || s.labels.size > 0) later.suggestions();
  // The trainer places images on the map after it publishes an encoder and as images arrive; suggestions recolour it.
  if (s.suggestionsChanged || s.modelsChanged || s.imagesAdded) later.map();
  if (s.classesChanged) {
    void qc.invalidateQueries(trpc.projects.get.queryFilter({ projectId }));
    void qc.invalidateQueries(trpc.classes.list.queryFilter({ projectId }));
  }
  if (s.imagesAdded || s.classesChanged) {
    // New images change totals and page boundaries; a deleted class unlabels images: fetch again.
    void qc.invalidateQueries(trpc.images.stats.queryFilter({ projectId }));
    void qc.invalidateQueries(trpc.images.list.queryFilter({ projectId }));
    // Hidden (or shown again) duplicates settle or reopen their groups.
    later.review();
  } else if (s.changes.length > 0) {
    qc.setQueryData(trpc.images.stats.queryKey({ projectId }), (old: ImageStats | undefined) => old && statsAfter(old, s.changes));
    // A fetch that was in flight may or may not include these events: fetch once more when things calm down.
    later.stats();
  }
  if (s.labels.size === 0) return;
  qc.setQueryData(trpc.images.map.queryKey({ projectId }), (old: EmbeddingMapData | undefined) => old && mapAfter(old, s.labels));
  let membershipMayChange = false;
  let fetchInFlight = false;
  for (const [key, page] of qc.getQueriesData<ImagePage>(trpc.images.list.queryFilter({ projectId }))) {
    // A page being fetched now may have been read before these labels were stored: its answer would overwrite them.
    if (qc.getQueryState(key)?.fetchStatus === "fetching") fetchInFlight = true;
    if (!page) continue;
    const next = pageAfter(page, s.labels);
    if (next !== page) qc.setQueryData(key, next);
    const input = (key[1] as { input?: { filter?: ImageFilter } } | undefined)?.input;
    if (isLabelFiltered(input?.filter)) membershipMayChange = true;
  }
  if (membershipMayChange) later.lists();
  if (fetchInFlight) later.pages();
  // Only images someone has open have detail or history queries; a burst of hundreds of labels touches those few.
  const changedImage = (key: readonly unknown[]) => s.labels.has((key[1] as { input?: { imageId?: string } } | undefined)?.input?.imageId ?? "");
  void qc.invalidateQueries({ ...trpc.images.get.queryFilter({ projectId }), predicate: (q) => changedImage(q.queryKey) });
  void qc.invalidateQueries({ ...trpc.images.history.queryFilter({ projectId }), predicate: (q) => changedImage(q.queryKey) });
  void qc.invalidateQueries({ queryKey: trpc.projects.list.queryKey(), refetchType: "none" });
  later.review();
}

/** Live projects: however many components ask for one, its events are applied to the cache once. */
const live = new Map<string, { users: number; stop: () => void }>();

/** Joins the project's room while mounted and applies its events to the query cache. */
export function useProjectLive(projectId: string) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  useEffect(() => {
    const running = live.get(projectId);
    if (running) running.users++;
    else live.set(projectId, { users: 1, stop: applyLive(qc, trpc, projectId) });
    return () => {
      const r = live.get(projectId);
      if (!r || --r.users > 0) return;
      live.delete(projectId);
      r.stop();
    };
  }, [projectId, qc, trpc]);
}

function applyLive(qc: QueryClient, trpc: Trpc, projectId: string): () => void {
  const later = {
    stats: debounce(() => void qc.invalidateQueries(trpc.images.stats.queryFilter({ projectId })), 1_500, 10_000),
    // Filtered grids (e.g. "unlabelled") lose and gain images; refetching right away would make tiles jump under
    // the pointer while someone labels in bulk.
    lists: debounce(
      () =>
        void qc.invalidateQueries({
          ...trpc.images.list.queryFilter({ projectId }),
          predicate: (q) => isLabelFiltered((q.queryKey[1] as { input?: { filter?: ImageFilter } } | undefined)?.input?.filter),
        }),
      1_000,
      5_000,
    ),
    // Pages whose fetch was in flight when labels arrived: fetched once more, soon, so no tile keeps a stale label.
    pages: debounce(() => void qc.invalidateQueries(trpc.images.list.queryFilter({ projectId })), 300, 2_000),
    review: debounce(
      () => {
        void qc.invalidateQueries(trpc.review.disagreements.infiniteQueryFilter({ projectId }));
        void qc.invalidateQueries(trpc.review.labelIssues.queryFilter({ projectId }));
        void qc.invalidateQueries(trpc.review.duplicates.queryFilter({ projectId }));
      },
      800,
      5_000,
    ),
    training: debounce(() => invalidateTraining(qc, trpc, projectId), 2_000, 10_000),
    // Suggestions arrive in batches of a few hundred while the teacher labels everything: show them promptly.
    suggestions: debounce(() => invalidateSuggestions(qc, trpc, projectId), 300, 1_500),
    // Every point of the map comes again (a large answer): only once things are quiet for a while.
    map: debounce(() => void qc.invalidateQueries(trpc.images.map.queryFilter({ projectId })), 3_000, 15_000),
  };
  const stop = watchProject(projectId, {
    events: (events) => applyEvents(qc, trpc, projectId, events, later),
    resync: () => refetchProject(qc, trpc, projectId),
    presence: (entries) => qc.setQueryData(presenceKey(projectId), entries),
    joined: () => qc.setQueryData(errorKey(projectId), null),
    failed: (message) => qc.setQueryData(errorKey(projectId), message),
  });
  return () => {
    stop();
    later.stats.cancel();
    later.lists.cancel();
    later.pages.cancel();
    later.review.cancel();
    later.training.cancel();
    later.suggestions.cancel();
    later.map.cancel();
  };
}

/** Who is in the project right now, and what each is looking at (kept current by useProjectLive). */
export function usePresence(projectId: string): PresenceEntry[] {
  const qc = useQueryClient();
  const q = useQuery({ queryKey: presenceKey(projectId), queryFn: () => qc.getQueryData<PresenceEntry[]>(presenceKey(projectId)) ?? [], staleTime: Infinity, gcTime: 60_000 });
  return q.data ?? [];
}

/** Why the room could not be joined (e.g. no longer a member), or null. */
export function useLiveError(projectId: string): string | null {
  const qc = useQueryClient();
  const q = useQuery({ queryKey: errorKey(projectId), queryFn: () => qc.getQueryData<string | null>(errorKey(projectId)) ?? null, staleTime: Infinity });
  return q.data ?? null;
}

export function useConnectionStatus() {
  return useSyncExternalStore(subscribeStatus, connectionStatus, () => ({ state: "connecting" as const, unsynced: 0 }));
}

/** Announces the image this page shows (null: none) for as long as it shows it. */
export function useViewing(projectId: string, imageId: string | null) {
  useEffect(() => {
    setViewing(projectId, imageId);
  }, [projectId, imageId]);
  useEffect(() => () => setViewing(projectId, null), [projectId]);
}
