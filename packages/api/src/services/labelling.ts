// Labelling: an annotator's vote on an image, bulk votes, a reviewer's decision, undo, and the work queue
// (claimNextImage with leases).
// Every change is one transaction that records the vote and its history, re-resolves the image's label
// (resolve-label.ts) and appends a numbered event; the caller broadcasts the returned events.
import { Prisma, type PrismaClient, type QueueOrder } from "@fewlabel/db";
import type { ClaimResult, ImageRef, ProjectEvent } from "@fewlabel/realtime";
import { reopenReviewedSuggestions } from "./pseudo-labels";
import { assertClassInProject, castNumberedVotes, type Labeller, LabellingError } from "./votes";

// The vote path lives in ./votes.ts (pseudo-labels.ts and label-issues.ts write through it too, without importing this
// module back); its names stay importable from here.
export { castNumberedVotes, LabellingError, type Labeller } from "./votes";

/** The same vote on many images (grid bulk labelling), as one transaction. */
export async function setLabels(
  db: PrismaClient,
  who: Labeller,
  imageIds: string[],
  classId: string | null,
  clientLabelId?: string,
): Promise<{ events: ProjectEvent[]; duplicate: boolean; seq: number; count: number }> {
  const unique = [...new Set(imageIds)];
  return db.$transaction(async (tx) => {
    // A retried request (same client id, e.g. resent after a dropped connection) is applied once: its annotations
    // carry `<clientLabelId>#<n>`, so the first one tells whether it already happened. The project's row is locked
    // before looking, so a retry racing its original (through another instance) waits for it and then finds it.
    if (clientLabelId) {
      await tx.$queryRaw`SELECT id FROM "Project" WHERE id = ${who.projectId} FOR UPDATE`;
      const stored = await tx.annotation.findMany({ where: { clientLabelId: { startsWith: `${clientLabelId}#` }, authorId: who.actor.id }, select: { seq: true } });
      if (stored.length > 0) return { events: [], duplicate: true, seq: Math.max(...stored.map((a) => Number(a.seq))), count: stored.length };
    }
    await assertClassInProject(tx, who.projectId, classId);
    const events = await castNumberedVotes(
      tx,
      who,
      unique.map((imageId, n) => ({ imageId, classId, unsure: false, clientLabelId: clientLabelId ? `${clientLabelId}#${n}` : null })),
      null,
    );
    return { events, duplicate: false, seq: events[events.length - 1]?.seq ?? 0, count: events.length };
  });
}

/**
 * A reviewer's decision: their vote for `classId` on the image, flagged so that it names the image's label whatever
 * the other votes say (resolve-label.ts). Written through the same vote path as every label, so the history, the
 * events and undo treat it like any other change; undo puts the reviewer's vote back as a plain vote.
 */
export async function decideLabel(db: PrismaClient, who: Labeller, imageId: string, classId: string): Promise<ProjectEvent[]> {
  return db.$transaction(async (tx) => {
    await assertClassInProject(tx, who.projectId, classId);
    return castNumberedVotes(tx, who, [{ imageId, classId, unsure: false, decision: true }], null);
  });
}

/**
 * Undoes the caller's latest change in the project: their vote on that image goes back to what it was before, as a
 * plain vote (undoing a decision withdraws the decision). Only the caller's own vote changes, so a teammate's later
 * label on the same image is never clobbered; the image's label is re-resolved from everyone's votes.
 */
export async function undoLast(db: PrismaClient, who: Labeller): Promise<{ events: ProjectEvent[]; imageId: string; classId: string | null }> {
  return db.$transaction(async (tx) => {
    const undone = await tx.annotation.findMany({ where: { projectId: who.projectId, authorId: who.actor.id, undoOf: { not: null } }, select: { undoOf: true } });
    const undoneIds = new Set(undone.map((u) => u.undoOf!));
    const candidates = await tx.annotation.findMany({
      where: { projectId: who.projectId, authorId: who.actor.id, source: { in: ["HUMAN", "MODEL_REVIEWED"] }, undoOf: null },
      orderBy: { id: "desc" },
      take: undoneIds.size + 1,
      select: { id: true, imageId: true, previousClassId: true, source: true },
    });
    const last = candidates.find((c) => !undoneIds.has(c.id));
    if (!last) throw new LabellingError("conflict", "Nothing to undo.");
    const exists = await tx.labelClass.count({ where: { id: last.previousClassId ?? "", projectId: who.projectId } });
    const classId = last.previousClassId && exists ? last.previousClassId : null;
    const events = await castNumberedVotes(tx, who, [{ imageId: last.imageId, classId, unsure: false }], last.id);
    // Undoing an accepted (or corrected) model suggestion puts it back in the review queue.
    if (last.source === "MODEL_REVIEWED" || classId === null) events.push(...(await reopenReviewedSuggestions(tx, who, last.imageId)));
    return { events, imageId: last.imageId, classId };
  });
}

const imageRefSelect = { id: true, filename: true, width: true, height: true, labelClassId: true } as const;

/**
 * Serialises the work queue of one project (claims and holds, on one server or several) for the rest of the
 * transaction, and reads the settings it is handed out by.
 */
async function lockWorkQueue(tx: Prisma.TransactionClient, projectId: string) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${projectId}))`;
  return tx.project.findUniqueOrThrow({ where: { id: projectId }, select: { annotatorsPerImage: true, leaseSeconds: true, queueOrder: true } });
}

/** SQL on image `i`: its votes plus teammates' live leases leave room for `me` among its k annotators. */
function roomForAnnotator(me: string, k: number): Prisma.Sql {
  return Prisma.sql`i."voteCount" + (SELECT count(*) FROM "Lease" l WHERE l."imageId" = i.id AND l."userId" <> ${me} AND l."expiresAt" > now()) < ${k}`;
}

/**
 * Images that still need a person's vote: fewer votes than the project's annotators per image, and no label from an
 * import or a model. The work queue hands out these, and counts them as what remains ("to go").
 */
export function needsVoteWhere(projectId: string, annotatorsPerImage: number): Prisma.ImageWhereInput {
  return { projectId, hiddenAt: null, voteCount: { lt: annotatorsPerImage }, OR: [{ labelSource: null }, { labelSource: "HUMAN" }] };
}

/**
 * Hands the annotator an image nobody else is working on: it still needs votes (fewer than the project's
 * annotators-per-image, counting others' live leases), carries no label from an import or a model, and this
 * annotator has neither voted on it nor skipped it. Claims in one project are serialised by an advisory lock, so
 * concurrent claims (on one server or several) never hand out the same image beyond the overlap asked for.
 */
export async function claimNextImage(db: PrismaClient, who: Labeller, skip: string[]): Promise<ClaimResult> {
  return db.$transaction(async (tx) => {
    const project = await lockWorkQueue(tx, who.projectId);
    const k = project.annotatorsPerImage;
    const me = who.actor.id;
    const claimable = Prisma.sql`
        i."projectId" = ${who.projectId}
        AND i."hiddenAt" IS NULL
        AND i."voteCount" < ${k}
        AND (i."labelSource" IS NULL OR i."labelSource" = 'HUMAN')
        AND NOT (i.id = ANY(${skip}::text[]))
        AND NOT EXISTS (SELECT 1 FROM "Vote" v WHERE v."imageId" = i.id AND v."userId" = ${me})
        AND NOT EXISTS (SELECT 1 FROM "Lease" l WHERE l."imageId" = i.id AND l."userId" = ${me} AND l."expiresAt" > now())
        AND ${roomForAnnotator(me, k)}`;
    const candidates = await claimCandidates(tx, who.projectId, project.queueOrder, claimable, 4);
    const remaining = await tx.image.count({ where: needsVoteWhere(who.projectId, k) });
    const first = candidates[0];
    if (!first) return { image: null, leaseExpiresAt: null, prefetch: [], remaining };
    const expiresAt = new Date(Date.now() + project.leaseSeconds * 1000);
    await tx.lease.upsert({
      where: { imageId_userId: { imageId: first.id, userId: me } },
      create: { imageId: first.id, userId: me, projectId: who.projectId, expiresAt },
      update: { expiresAt },
    });
    const refs = await tx.image.findMany({ where: { id: { in: candidates.map((c) => c.id) } }, select: imageRefSelect });
    const byId = new Map(refs.map((r) => [r.id, r as ImageRef]));
    return {
      image: byId.get(first.id)!,
      leaseExpiresAt: expiresAt.toISOString(),
      prefetch: candidates
        .slice(1)
        .map((c) => byId.get(c.id)!)
        .filter(Boolean),
      remaining,
    };
  });
}

/**
 * The next `limit` claimable images in the project's work order (issue 17's active learning). LEAST_CONFIDENT and
 * MARGIN read the model's pending suggestions through their (projectId, status, confidence | margin) index, least sure
 * first, and fill up with the images that have none in upload order; RANDOM draws among all claimable images (so two
 * annotators rarely wait on the same one); OLDEST is upload order. DIVERSE takes the cluster of the encoder's
 * embeddings (ImageEmbedding.cluster, the trainer's k-means) whose images are least labelled, and within it the
 * smallest margin, then upload order; images not clustered yet come after, in upload order. The clusters' labelled
 * shares are counted at each claim (one pass over the project's embeddings), so labels move the queue on at once.
 */
async function claimCandidates(tx: Prisma.TransactionClient, projectId: string, order: QueueOrder, claimable: Prisma.Sql, limit: number): Promise<{ id: string }[]> {
  if (order === "RANDOM") return tx.$queryRaw<{ id: string }[]>`SELECT i.id FROM "Image" i WHERE ${claimable} ORDER BY random() LIMIT ${limit}`;
  const oldest = (exclude: string[]) =>
    tx.$queryRaw<{ id: string }[]>`SELECT i.id FROM "Image" i WHERE ${claimable} AND NOT (i.id = ANY(${exclude}::text[])) ORDER BY i."createdAt", i.id LIMIT ${limit - exclude.length}`;
  if (order === "OLDEST") return oldest([]);
  if (order === "DIVERSE") {
    const diverse = await tx.$queryRaw<{ id: string }[]>`
      WITH c AS (
        SELECT e.cluster, count(*)::float8 AS size, count(x."labelClassId")::float8 AS labelled
        FROM "ImageEmbedding" e JOIN "Image" x ON x.id = e."imageId"
        WHERE e."projectId" = ${projectId} AND e.cluster IS NOT NULL AND x."hiddenAt" IS NULL
        GROUP BY e.cluster
      )
      SELECT i.id FROM "Image" i
      JOIN "ImageEmbedding" e ON e."imageId" = i.id
      JOIN c ON c.cluster = e.cluster
      LEFT JOIN "PseudoLabel" p ON p."imageId" = i.id AND p.status = 'PENDING'
      WHERE ${claimable}
      ORDER BY c.labelled / c.size, p.margin NULLS LAST, i."createdAt", i.id
      LIMIT ${limit}`;
    return diverse.length < limit ? [...diverse, ...(await oldest(diverse.map((u) => u.id)))] : diverse;
  }
  const key = order === "MARGIN" ? Prisma.sql`p.margin` : Prisma.sql`p.confidence`;
  const uncertain = await tx.$queryRaw<{ id: string }[]>`
      SELECT i.id FROM "PseudoLabel" p JOIN "Image" i ON i.id = p."imageId"
      WHERE p."projectId" = ${projectId} AND p.status = 'PENDING' AND ${key} IS NOT NULL AND ${claimable}
      ORDER BY ${key}, p.id
      LIMIT ${limit}`;
  return uncertain.length < limit ? [...uncertain, ...(await oldest(uncertain.map((u) => u.id)))] : uncertain;
}

/**
 * Takes back images the annotator already has on screen: after a reconnect (the server released the connection's
 * leases) or an undo that withdrew their vote. Each is leased again when it still qualifies as a claim would (it
 * needs votes, carries no import or model label, no vote of theirs, and teammates' live leases leave room), or its
 * lease is renewed when they still hold one. Serialised with claims by the same advisory lock.
 */
export async function holdImages(db: PrismaClient, who: Labeller, imageIds: string[]): Promise<{ held: string[]; leaseExpiresAt: string | null }> {
  return db.$transaction(async (tx) => {
    const project = await lockWorkQueue(tx, who.projectId);
    const me = who.actor.id;
    const free = await tx.$queryRaw<{ id: string }[]>`
      SELECT i.id FROM "Image" i
      WHERE i."projectId" = ${who.projectId}
        AND i."hiddenAt" IS NULL
        AND i.id = ANY(${imageIds}::text[])
        AND (i."labelSource" IS NULL OR i."labelSource" = 'HUMAN')
        AND NOT EXISTS (SELECT 1 FROM "Vote" v WHERE v."imageId" = i.id AND v."userId" = ${me} AND v."classId" IS NOT NULL)
        AND (
          EXISTS (SELECT 1 FROM "Lease" l WHERE l."imageId" = i.id AND l."userId" = ${me} AND l."expiresAt" > now())
          OR ${roomForAnnotator(me, project.annotatorsPerImage)}
        )`;
    if (free.length === 0) return { held: [], leaseExpiresAt: null };
    const expiresAt = new Date(Date.now() + project.leaseSeconds * 1000);
    const rows = JSON.stringify(free.map((f) => ({ imageId: f.id })));
    await tx.$executeRaw`
      INSERT INTO "Lease" ("imageId", "userId", "projectId", "expiresAt")
      SELECT x."imageId", ${me}, ${who.projectId}, ${expiresAt.toISOString().replace("Z", "")}::timestamp(3)
      FROM jsonb_to_recordset(${rows}::jsonb) AS x("imageId" text)
      ON CONFLICT ("imageId", "userId") DO UPDATE SET "expiresAt" = EXCLUDED."expiresAt"`;
    const order = new Map(imageIds.map((id, i) => [id, i]));
    return { held: free.map((f) => f.id).sort((a, b) => order.get(a)! - order.get(b)!), leaseExpiresAt: expiresAt.toISOString() };
  });
}

/** Keeps the annotator's leases alive while they work. */
export async function renewLeases(db: PrismaClient, projectId: string, userId: string, leaseSeconds: number): Promise<void> {
  await db.lease.updateMany({ where: { projectId, userId, expiresAt: { gt: new Date() } }, data: { expiresAt: new Date(Date.now() + leaseSeconds * 1000) } });
}

export async function releaseLeases(db: PrismaClient, userId: string, imageIds: string[]): Promise<void> {
  if (imageIds.length === 0) return;
  await db.lease.deleteMany({ where: { userId, imageId: { in: imageIds } } });
}

export async function purgeExpiredLeases(db: PrismaClient): Promise<number> {
  return (await db.lease.deleteMany({ where: { expiresAt: { lte: new Date() } } })).count;
}
