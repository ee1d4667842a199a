// How a batch of project events changes what the browser has cached: pure functions from (cached data, events) to
// new cached data, so the live hook only has to route their results into the query cache.
import type { LabelChange, ProjectEvent, TrainerActivity, TrainingProgress } from "@fewlabel/realtime";
import type { RouterOutputs } from "../api-types";

export type ImageStats = RouterOutputs["images"]["stats"];
export type ImagePage = RouterOutputs["images"]["list"];
export type TrainingStatus = RouterOutputs["training"]["status"];
export type EmbeddingMapData = RouterOutputs["images"]["map"];

export interface LabelUpdate {
  classId: string | null;
  at: Date;
}

export interface EventSummary {
  /** Every label change in seq order (stats need each transition, not just the last). */
  changes: LabelChange[];
  /** The image's label after the batch. */
  labels: Map<string, LabelUpdate>;
  imagesAdded: boolean;
  classesChanged: boolean;
  /** The trainer's events: the latest progress per run (in seq order), switches or lease changed, models, suggestions. */
  progress: { data: TrainingProgress; at: string }[];
  controlChanged: boolean;
  /** The trainer's latest decision in the batch (what it does now and why), or null when it did not change. */
  activity: (TrainerActivity & { at: string }) | null;
  modelsChanged: boolean;
  suggestionsChanged: boolean;
}

export function summarise(events: readonly ProjectEvent[]): EventSummary {
  const out: EventSummary = {
    changes: [],
    labels: new Map(),
    imagesAdded: false,
    classesChanged: false,
    progress: [],
    controlChanged: false,
    activity: null,
    modelsChanged: false,
    suggestionsChanged: false,
  };
  for (const e of events) {
    switch (e.type) {
      case "label":
        out.changes.push(e.data);
        out.labels.set(e.data.imageId, { classId: e.data.resolvedClassId, at: new Date(e.at) });
        break;
      case "images.added":
        out.imagesAdded = true;
        break;
      // Hidden or shown again: counts, grid pages, the review queue and the map change as with new images.
      case "images.hidden":
        out.imagesAdded = true;
        out.suggestionsChanged = true;
        break;
      case "classes.changed":
        out.classesChanged = true;
        break;
      case "training.progress":
        out.progress.push({ data: e.data, at: e.at });
        break;
      case "training.control":
        out.controlChanged = true;
        break;
      case "training.activity":
        out.activity = e.data;
        break;
      case "model.published":
        out.modelsChanged = true;
        break;
      case "pseudoLabels.added":
      case "pseudoLabels.reviewed":
        out.suggestionsChanged = true;
        break;
    }
  }
  return out;
}

/** The counts after the changes: each change moves one image from its previous resolved class to its new one. */
export function statsAfter(stats: ImageStats, changes: readonly LabelChange[]): ImageStats {
  if (!changes.some((c) => c.previousResolvedClassId !== c.resolvedClassId)) return stats;
  const perClass = new Map(stats.perClass.map((c) => [c.classId, c.count]));
  let labelled = stats.labelled;
  for (const c of changes) {
    if (c.previousResolvedClassId === c.resolvedClassId) continue;
    if (c.previousResolvedClassId === null) labelled++;
    else perClass.set(c.previousResolvedClassId, Math.max(0, (perClass.get(c.previousResolvedClassId) ?? 0) - 1));
    if (c.resolvedClassId === null) labelled--;
    else perClass.set(c.resolvedClassId, (perClass.get(c.resolvedClassId) ?? 0) + 1);
  }
  labelled = Math.max(0, Math.min(stats.total, labelled));
  return {
    ...stats,
    labelled,
    unlabelled: stats.total - labelled,
    // An image that gets its label no longer needs a vote, one that loses it needs one again: exact with one annotator
    // per image (the default); with more, a first vote that leaves an image unresolved is counted at the next refetch.
    toGo: Math.max(0, stats.toGo - (labelled - stats.labelled)),
    perClass: [...perClass].filter(([, count]) => count > 0).map(([classId, count]) => ({ classId, count })),
  };
}

/** The page with changed images relabelled (the same object when none of its images changed). */
export function pageAfter(page: ImagePage, labels: ReadonlyMap<string, LabelUpdate>): ImagePage {
  let changed = false;
  const items = page.items.map((item) => {
    const u = labels.get(item.id);
    if (!u || u.classId === item.labelClassId) return item;
    changed = true;
    return { ...item, labelClassId: u.classId, labelSource: u.classId ? ("HUMAN" as const) : null, labelledAt: u.classId ? u.at : null };
  });
  return changed ? { ...page, items } : page;
}

/** A list filtered by label status or class gains and loses images when labels change (then it is refetched). */
export function isLabelFiltered(filter: { status?: string; classId?: string | null; suggestedClassId?: string | null } | undefined): boolean {
  return (filter?.status !== undefined && filter.status !== "all") || !!filter?.classId || !!filter?.suggestedClassId;
}

/** A grid whose membership or order follows the model's pending suggestions (refetched when they change). */
export function isSuggestionOrdered(filter: { sort?: string; suggestedClassId?: string | null } | undefined): boolean {
  return !!filter?.suggestedClassId || filter?.sort === "leastConfident" || filter?.sort === "mostConfident";
}

/**
 * The training status after a run's progress event: the run's live numbers replace the cached ones (a new run becomes
 * the current one) and points with a loss or accuracy extend its curve, so the chart moves between refetches.
 */
export function statusAfterProgress(status: TrainingStatus, progress: TrainingProgress, at: string): TrainingStatus {
  const cur = status.current;
  const finished = progress.status === "DONE" || progress.status === "FAILED";
  if (!cur || cur.runId !== progress.runId) {
    const current = { ...progress, startedAt: new Date(at), finishedAt: finished ? new Date(at) : null, history: [], skipped: [] };
    return { ...status, current, recent: [{ ...progress, startedAt: current.startedAt, finishedAt: current.finishedAt }, ...status.recent] };
  }
  const point = progress.loss !== null || progress.accuracy !== null ? [{ step: progress.step, loss: progress.loss, accuracy: progress.accuracy, at }] : [];
  const last = cur.history[cur.history.length - 1];
  const history = point.length && (!last || last.step < progress.step) ? [...cur.history, ...point] : cur.history;
  const finishedAt = finished ? (cur.finishedAt ?? new Date(at)) : cur.finishedAt;
  return {
    ...status,
    current: { ...cur, ...progress, history, finishedAt },
    recent: status.recent.map((r) => (r.runId === progress.runId ? { ...r, ...progress, finishedAt } : r)),
  };
}

/** The training status after the trainer reported a new decision: the page says it at once, without a refetch. */
export function statusAfterActivity(status: TrainingStatus, activity: TrainerActivity & { at: string }): TrainingStatus {
  return { ...status, activity: { kind: activity.kind, reason: activity.reason, at: new Date(activity.at) } };
}

/**
 * The embedding map with changed images' labels (the same object when none of its points changed). A labelled image
 * leaves the review queue, so its point loses its pending suggestion too; one unlabelled again shows none until the map
 * is fetched again.
 */
export function mapAfter(map: EmbeddingMapData, labels: ReadonlyMap<string, LabelUpdate>): EmbeddingMapData {
  const classIndex = new Map(map.classIds.map((id, i) => [id, i]));
  let next: EmbeddingMapData | null = null;
  // A bulk label of hundreds: one pass to index the points rather than a search per label.
  const row = labels.size > 8 ? new Map(map.ids.map((id, i) => [id, i])) : null;
  for (const [imageId, u] of labels) {
    const i = row ? (row.get(imageId) ?? -1) : map.ids.indexOf(imageId);
    if (i < 0) continue;
    const label = u.classId === null ? -1 : (classIndex.get(u.classId) ?? -1);
    if (label === map.label[i] && (label === -1 || map.suggestion[i] === -1)) continue;
    next ??= { ...map, label: [...map.label], suggestion: [...map.suggestion], confidence: [...map.confidence] };
    next.label[i] = label;
    next.suggestion[i] = -1;
    next.confidence[i] = -1;
  }
  return next ?? map;
}
