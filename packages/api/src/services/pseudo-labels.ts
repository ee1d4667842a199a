// Pseudo-labels: a model's suggestions for unlabelled images, and people's review of them.
// Rules (issue 6):
//  - a model never overwrites a human label: suggestions are stored only for images without a label, and accepting
//    one for an image that got a label meanwhile is refused;
//  - accepting is the reviewer's vote for the suggested class with source MODEL_REVIEWED, cast through the same
//    label path as every other vote (history, events, undo), so undo takes it back and reopens the suggestion;
//  - one suggestion per (model version, image): a rejected one does not come back from the same model version;
//    a newer model's suggestion replaces older pending ones for the same image;
//  - quick suggestions (a head on a pretrained version's embeddings, issue 12 item 6) are posted again as labels
//    arrive: with `refresh` a pending one of the same version is updated in place (same id), and with `keepPendingOf`
//    the trainer keeps a better teacher's pending suggestions where they are.
import type { Prisma, PrismaClient } from "@fewlabel/db";
import type { ProjectEvent, PseudoLabelSummary, SuggestionSource } from "@fewlabel/realtime";
import { castNumberedVotes, LabellingError, type Labeller } from "./votes";
import { type Actor, appendEvents } from "./project-events";

export interface PostedPseudoLabel {
  imageId: string;
  classId: string;
  confidence: number;
  probabilities: number[];
}

type ReviewStatus = "PENDING" | "ACCEPTED" | "REJECTED" | "CORRECTED";
const reviewedEvent = (items: { id: string; imageId: string; status: ReviewStatus; classId: string | null }[]) => ({
  type: "pseudoLabels.reviewed" as const,
  data: { items },
});

export interface PostOptions {
  /** A pending suggestion of this version for the image is updated (class, confidence, probabilities) instead of kept. */
  refresh?: boolean;
  /** Images with a pending suggestion of one of these versions are skipped (that suggestion stays). */
  keepPendingOf?: string[];
  /** Where the suggestions came from, when not from the version's own classifier (carried by the event). */
  source?: SuggestionSource;
}

/** Confidence changes smaller than this are not news: the suggestion stays as it is (no write, no event). */
const REFRESH_CONFIDENCE_STEP = 1e-3;

/**
 * Stores a batch of a model version's suggestions. Images that are labelled, unknown, or already have a suggestion
 * from this version (pending, accepted or rejected) are skipped, except that `refresh` updates a pending one of this
 * version whose class or confidence changed. Returns the stored (new or updated) ones and their event.
 */
export async function postPseudoLabels(
  db: PrismaClient,
  projectId: string,
  actor: Actor,
  modelVersionId: string,
  items: PostedPseudoLabel[],
  options: PostOptions = {},
): Promise<{ stored: PseudoLabelSummary[]; skipped: number; events: ProjectEvent[] }> {
  return db.$transaction(async (tx) => {
    const version = await tx.modelVersion.findFirst({ where: { id: modelVersionId, projectId }, select: { classIds: true } });
    if (!version) throw new LabellingError("not_found", "Model version not found in this project.");
    const classes = new Set(version.classIds);
    const bad = items.find((i) => !classes.has(i.classId) || i.probabilities.length !== version.classIds.length);
    if (bad) throw new LabellingError("bad_request", `Suggestion for ${bad.imageId}: class or probabilities do not match the model version's classes.`);
    const imageIds = [...new Set(items.map((i) => i.imageId))];
    const unlabelled = new Set((await tx.image.findMany({ where: { id: { in: imageIds }, projectId, labelClassId: null, hiddenAt: null }, select: { id: true } })).map((i) => i.id));
    const existing = new Map(
      (await tx.pseudoLabel.findMany({ where: { modelVersionId, imageId: { in: imageIds } }, select: { id: true, imageId: true, status: true, classId: true, confidence: true } })).map((p) => [
        p.imageId,
        p,
      ]),
    );
    const keepOthers = (options.keepPendingOf ?? []).filter((v) => v !== modelVersionId);
    const kept = new Set(
      keepOthers.length
        ? (await tx.pseudoLabel.findMany({ where: { projectId, imageId: { in: imageIds }, status: "PENDING", modelVersionId: { in: keepOthers } }, select: { imageId: true } })).map((p) => p.imageId)
        : [],
    );
    const seen = new Set<string>();
    const fresh: PostedPseudoLabel[] = [];
    const updates: { id: string; item: PostedPseudoLabel }[] = [];
    for (const i of items) {
      const first = !seen.has(i.imageId);
      seen.add(i.imageId);
      if (!first || !unlabelled.has(i.imageId) || kept.has(i.imageId)) continue;
      const own = existing.get(i.imageId);
      if (!own) fresh.push(i);
      else if (options.refresh && own.status === "PENDING" && (own.classId !== i.classId || Math.abs(own.confidence - i.confidence) >= REFRESH_CONFIDENCE_STEP)) {
        updates.push({ id: own.id, item: i });
      }
    }
    if (fresh.length === 0 && updates.length === 0) return { stored: [], skipped: items.length, events: [] };
    // The newest model speaks for an image: older pending suggestions for these images step aside.
    const speaking = [...fresh.map((f) => f.imageId), ...updates.map((u) => u.item.imageId)];
    await tx.pseudoLabel.deleteMany({ where: { imageId: { in: speaking }, status: "PENDING", modelVersionId: { not: modelVersionId } } });
    const select = { id: true, imageId: true, classId: true, confidence: true, modelVersionId: true } as const;
    const rows = fresh.length
      ? await tx.pseudoLabel.createManyAndReturn({
          data: fresh.map((f) => ({ projectId, imageId: f.imageId, modelVersionId, classId: f.classId, confidence: f.confidence, probabilities: f.probabilities, margin: marginOf(f.probabilities) })),
          select,
        })
      : [];
    for (const u of updates) {
      // A refreshed suggestion is new news: createdAt moves with it, as if it had just been made.
      rows.push(
        await tx.pseudoLabel.update({
          where: { id: u.id },
          data: { classId: u.item.classId, confidence: u.item.confidence, probabilities: u.item.probabilities, margin: marginOf(u.item.probabilities), createdAt: new Date() },
          select,
        }),
      );
    }
    const events = await appendEvents(tx, projectId, actor, [{ type: "pseudoLabels.added", data: { modelVersionId, items: rows, ...(options.source ? { source: options.source } : {}) } }]);
    return { stored: rows, skipped: items.length - rows.length, events };
  });
}

/** The top class probability minus the runner-up's: small where the model hesitates between two classes. */
export function marginOf(probabilities: readonly number[]): number {
  let first = 0,
    second = 0;
  for (const p of probabilities) {
    if (p > first) [first, second] = [p, first];
    else if (p > second) second = p;
  }
  return first - second;
}

async function pendingSuggestion(tx: Prisma.TransactionClient, projectId: string, pseudoLabelId: string) {
  const p = await tx.pseudoLabel.findFirst({ where: { id: pseudoLabelId, projectId }, include: { image: { select: { labelClassId: true } } } });
  if (!p) throw new LabellingError("not_found", "Suggestion not found in this project.");
  if (p.status !== "PENDING") throw new LabellingError("conflict", `This suggestion was already ${p.status.toLowerCase()}.`);
  if (p.image.labelClassId !== null) throw new LabellingError("conflict", "This image has been labelled meanwhile; a model never overwrites a label.");
  return p;
}

export type Review = { action: "accept" } | { action: "reject" } | { action: "correct"; classId: string };

/** Accept, correct or reject one suggestion; returns the events to broadcast (label change + review). */
export async function reviewPseudoLabel(db: PrismaClient, who: Labeller, pseudoLabelId: string, review: Review): Promise<ProjectEvent[]> {
  return db.$transaction(async (tx) => {
    const p = await pendingSuggestion(tx, who.projectId, pseudoLabelId);
    const now = new Date();
    if (review.action === "reject") {
      await tx.pseudoLabel.update({ where: { id: p.id }, data: { status: "REJECTED", reviewedById: who.actor.id, reviewedAt: now } });
      return appendEvents(tx, who.projectId, who.actor, [reviewedEvent([{ id: p.id, imageId: p.imageId, status: "REJECTED", classId: null }])]);
    }
    const classId = review.action === "accept" ? p.classId : review.classId;
    if (review.action === "correct" && (await tx.labelClass.count({ where: { id: classId, projectId: who.projectId } })) === 0) {
      throw new LabellingError("not_found", "That class does not exist in this project.");
    }
    // Accepting is the reviewer's vote with the model as co-author; a correction is plainly the reviewer's label.
    const labelEvents = await castNumberedVotes(tx, who, [{ imageId: p.imageId, classId, unsure: false }], null, review.action === "accept" ? "MODEL_REVIEWED" : "HUMAN");
    const status = review.action === "accept" ? "ACCEPTED" : "CORRECTED";
    await tx.pseudoLabel.update({
      where: { id: p.id },
      data: { status, reviewedById: who.actor.id, reviewedAt: now, correctedClassId: review.action === "correct" ? classId : null },
    });
    const reviewed = await appendEvents(tx, who.projectId, who.actor, [reviewedEvent([{ id: p.id, imageId: p.imageId, status, classId }])]);
    return [...labelEvents, ...reviewed];
  });
}

export interface SuggestionFilter {
  classId?: string | null;
  minConfidence?: number;
  maxConfidence?: number;
}

/** The review queue's rows: pending suggestions for images that are still unlabelled. */
export function pendingWhere(projectId: string, f: SuggestionFilter): Prisma.PseudoLabelWhereInput {
  return {
    projectId,
    status: "PENDING",
    image: { labelClassId: null, hiddenAt: null },
    ...(f.classId ? { classId: f.classId } : {}),
    ...(f.minConfidence !== undefined || f.maxConfidence !== undefined
      ? { confidence: { ...(f.minConfidence !== undefined ? { gte: f.minConfidence } : {}), ...(f.maxConfidence !== undefined ? { lte: f.maxConfidence } : {}) } }
      : {}),
  };
}

/** Most suggestions one bulk accept applies (one transaction); the rest wait for the next click. */
export const MAX_BULK_ACCEPT = 2000;

/** Accepts every pending suggestion at or above `minConfidence` (optionally of one class), most confident first. */
export async function bulkAcceptPseudoLabels(
  db: PrismaClient,
  who: Labeller,
  f: SuggestionFilter & { minConfidence: number },
  limit = MAX_BULK_ACCEPT,
): Promise<{ accepted: number; events: ProjectEvent[] }> {
  return db.$transaction(
    async (tx) => {
      const rows = await tx.pseudoLabel.findMany({
        where: pendingWhere(who.projectId, f),
        orderBy: [{ confidence: "desc" }, { id: "asc" }],
        take: limit,
        select: { id: true, imageId: true, classId: true },
      });
      if (rows.length === 0) return { accepted: 0, events: [] };
      const labelEvents = await castNumberedVotes(
        tx,
        who,
        rows.map((r) => ({ imageId: r.imageId, classId: r.classId, unsure: false })),
        null,
        "MODEL_REVIEWED",
      );
      await tx.pseudoLabel.updateMany({ where: { id: { in: rows.map((r) => r.id) } }, data: { status: "ACCEPTED", reviewedById: who.actor.id, reviewedAt: new Date() } });
      const reviewed = await appendEvents(tx, who.projectId, who.actor, [reviewedEvent(rows.map((r) => ({ id: r.id, imageId: r.imageId, status: "ACCEPTED" as const, classId: r.classId })))]);
      return { accepted: rows.length, events: [...labelEvents, ...reviewed] };
    },
    { timeout: 120_000 },
  );
}

/** After an undo left the image unlabelled: the reviewer's accepted or corrected suggestion is pending again. */
export async function reopenReviewedSuggestions(tx: Prisma.TransactionClient, who: Labeller, imageId: string): Promise<ProjectEvent[]> {
  const image = await tx.image.findUnique({ where: { id: imageId }, select: { labelClassId: true } });
  if (image?.labelClassId) return [];
  const rows = await tx.pseudoLabel.findMany({ where: { imageId, reviewedById: who.actor.id, status: { in: ["ACCEPTED", "CORRECTED"] } }, select: { id: true } });
  if (rows.length === 0) return [];
  await tx.pseudoLabel.updateMany({ where: { id: { in: rows.map((r) => r.id) } }, data: { status: "PENDING", reviewedById: null, reviewedAt: null, correctedClassId: null } });
  return appendEvents(tx, who.projectId, who.actor, [reviewedEvent(rows.map((r) => ({ id: r.id, imageId, status: "PENDING" as const, classId: null })))]);
}

/** One suggestion's review in a batch (the Suggestions gallery: the wrong ones marked, the rest accepted). */
export type BatchReview = { pseudoLabelId: string; action: "accept" | "reject" } | { pseudoLabelId: string; action: "correct"; classId: string };

/** Most suggestions one batch review or undo applies (one transaction). */
export const MAX_BATCH_REVIEW = 500;

/**
 * Reviews many suggestions at once, each as `reviewPseudoLabel` would, in one transaction. Suggestions that a teammate
 * reviewed meanwhile, or whose image got a label, are skipped and counted (a gallery is looked at for a while; the
 * rest of the batch still counts), not an error.
 */
export async function reviewPseudoLabels(
  db: PrismaClient,
  who: Labeller,
  reviews: BatchReview[],
): Promise<{ accepted: string[]; rejected: string[]; corrected: string[]; skipped: number; events: ProjectEvent[] }> {
  const byId = new Map(reviews.map((r) => [r.pseudoLabelId, r]));
  return db.$transaction(
    async (tx) => {
      const classIds = [...new Set(reviews.flatMap((r) => (r.action === "correct" ? [r.classId] : [])))];
      if (classIds.length > 0 && (await tx.labelClass.count({ where: { id: { in: classIds }, projectId: who.projectId } })) !== classIds.length) {
        throw new LabellingError("not_found", "That class does not exist in this project.");
      }
      const rows = await tx.pseudoLabel.findMany({
        where: { id: { in: [...byId.keys()] }, ...pendingWhere(who.projectId, {}) },
        select: { id: true, imageId: true, classId: true },
      });
      const now = new Date();
      const decided = rows.map((p) => {
        const r = byId.get(p.id)!;
        return { ...p, action: r.action, classId: r.action === "correct" ? r.classId : p.classId };
      });
      const of = (a: BatchReview["action"]) => decided.filter((d) => d.action === a);
      const [accepts, rejects, corrections] = [of("accept"), of("reject"), of("correct")];
      const events: ProjectEvent[] = [];
      // Accepting is the reviewer's vote with the model as co-author; a correction is plainly the reviewer's label.
      if (accepts.length)
        events.push(
          ...(await castNumberedVotes(
            tx,
            who,
            accepts.map((d) => ({ imageId: d.imageId, classId: d.classId, unsure: false })),
            null,
            "MODEL_REVIEWED",
          )),
        );
      if (corrections.length)
        events.push(
          ...(await castNumberedVotes(
            tx,
            who,
            corrections.map((d) => ({ imageId: d.imageId, classId: d.classId, unsure: false })),
            null,
            "HUMAN",
          )),
        );
      const reviewed = { reviewedById: who.actor.id, reviewedAt: now };
      if (accepts.length) await tx.pseudoLabel.updateMany({ where: { id: { in: accepts.map((d) => d.id) } }, data: { status: "ACCEPTED", ...reviewed } });
      if (rejects.length) await tx.pseudoLabel.updateMany({ where: { id: { in: rejects.map((d) => d.id) } }, data: { status: "REJECTED", ...reviewed } });
      for (const classId of new Set(corrections.map((d) => d.classId))) {
        const ids = corrections.filter((d) => d.classId === classId).map((d) => d.id);
        await tx.pseudoLabel.updateMany({ where: { id: { in: ids } }, data: { status: "CORRECTED", correctedClassId: classId, ...reviewed } });
      }
      const statusOf = { accept: "ACCEPTED", reject: "REJECTED", correct: "CORRECTED" } as const;
      if (decided.length) {
        const items = decided.map((d) => ({ id: d.id, imageId: d.imageId, status: statusOf[d.action], classId: d.action === "reject" ? null : d.classId }));
        events.push(...(await appendEvents(tx, who.projectId, who.actor, [reviewedEvent(items)])));
      }
      const ids = (ds: typeof decided) => ds.map((d) => d.id);
      return { accepted: ids(accepts), rejected: ids(rejects), corrected: ids(corrections), skipped: byId.size - decided.length, events };
    },
    { timeout: 120_000 },
  );
}

/**
 * Takes back the caller's reviews of these suggestions (the gallery's Undo): a rejected one is pending again; an
 * accepted or corrected one has the caller's vote put back as it was before (recorded as an undo of that vote, so
 * Ctrl+Z does not take it back twice) and is pending again where that leaves its image unlabelled. A review whose vote
 * the caller has changed since, or another person's review, is left alone and counted as skipped.
 */
export async function undoPseudoLabelReviews(db: PrismaClient, who: Labeller, pseudoLabelIds: string[]): Promise<{ reopened: number; skipped: number; events: ProjectEvent[] }> {
  const wanted = new Set(pseudoLabelIds);
  return db.$transaction(
    async (tx) => {
      const rows = await tx.pseudoLabel.findMany({
        where: { id: { in: [...wanted] }, projectId: who.projectId, reviewedById: who.actor.id, status: { in: ["ACCEPTED", "REJECTED", "CORRECTED"] } },
        select: { id: true, imageId: true, status: true, classId: true, correctedClassId: true },
      });
      const voted = rows.filter((r) => r.status !== "REJECTED");
      // The caller's latest vote on each of those images, and whether it was already taken back.
      const latest = new Map<string, { id: bigint; classId: string | null; previousClassId: string | null }>();
      for (const a of await tx.annotation.findMany({
        where: { projectId: who.projectId, authorId: who.actor.id, imageId: { in: voted.map((r) => r.imageId) }, undoOf: null },
        orderBy: { id: "desc" },
        select: { id: true, imageId: true, classId: true, previousClassId: true },
      })) {
        if (!latest.has(a.imageId)) latest.set(a.imageId, a);
      }
      const undone = new Set((await tx.annotation.findMany({ where: { undoOf: { in: [...latest.values()].map((a) => a.id) } }, select: { undoOf: true } })).map((u) => u.undoOf!));
      const revert = voted.flatMap((r) => {
        const a = latest.get(r.imageId);
        const gave = r.status === "ACCEPTED" ? r.classId : r.correctedClassId;
        return a && a.classId === gave && !undone.has(a.id) ? [{ row: r, annotation: a }] : [];
      });
      const classIds = [...new Set(revert.flatMap((v) => (v.annotation.previousClassId ? [v.annotation.previousClassId] : [])))];
      const existing = new Set((await tx.labelClass.findMany({ where: { id: { in: classIds }, projectId: who.projectId }, select: { id: true } })).map((c) => c.id));
      const events: ProjectEvent[] = revert.length
        ? await castNumberedVotes(
            tx,
            who,
            revert.map(({ row, annotation: a }) => ({
              imageId: row.imageId,
              classId: a.previousClassId && existing.has(a.previousClassId) ? a.previousClassId : null,
              unsure: false,
              undoOf: a.id,
            })),
            null,
          )
        : [];
      // Pending again: every rejected one, and the voted ones whose image the revert left unlabelled.
      const unlabelled = new Set((await tx.image.findMany({ where: { id: { in: revert.map((v) => v.row.imageId) }, labelClassId: null }, select: { id: true } })).map((i) => i.id));
      const reopen = [...rows.filter((r) => r.status === "REJECTED"), ...revert.map((v) => v.row).filter((r) => unlabelled.has(r.imageId))];
      if (reopen.length) {
        await tx.pseudoLabel.updateMany({ where: { id: { in: reopen.map((r) => r.id) } }, data: { status: "PENDING", reviewedById: null, reviewedAt: null, correctedClassId: null } });
        events.push(...(await appendEvents(tx, who.projectId, who.actor, [reviewedEvent(reopen.map((r) => ({ id: r.id, imageId: r.imageId, status: "PENDING" as const, classId: null })))])));
      }
      return { reopened: reopen.length, skipped: wanted.size - reopen.length, events };
    },
    { timeout: 120_000 },
  );
}

/** Pending suggestions per suggested class (the gallery's class chips). */
export async function pendingPerClass(db: PrismaClient, projectId: string): Promise<{ classId: string; count: number }[]> {
  const rows = await db.pseudoLabel.groupBy({ by: ["classId"], where: pendingWhere(projectId, {}), _count: { _all: true } });
  return rows.map((r) => ({ classId: r.classId, count: r._count._all }));
}
