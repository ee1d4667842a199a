// How a batch of project events changes what the browser has cached: pure functions from (cached data, events) to
// new cached data, so the live hook only has to route their results into the query cache.
import type { LabelChange, ProjectEvent } from "@fewlabel/realtime";
import type { RouterOutputs } from "../api-types";

export type ImageStats = RouterOutputs["images"]["stats"];
export type ImagePage = RouterOutputs["images"]["list"];

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
}

export function summarise(events: readonly ProjectEvent[]): EventSummary {
  const out: EventSummary = { changes: [], labels: new Map(), imagesAdded: false, classesChanged: false };
  for (const e of events) {
    if (e.type === "label") {
      out.changes.push(e.data);
      out.labels.set(e.data.imageId, { classId: e.data.resolvedClassId, at: new Date(e.at) });
    } else if (e.type === "images.added") out.imagesAdded = true;
    else out.classesChanged = true;
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
export function isLabelFiltered(filter: { status?: string; classId?: string | null } | undefined): boolean {
  return (filter?.status !== undefined && filter.status !== "all") || !!filter?.classId;
}
