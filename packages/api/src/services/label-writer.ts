// Group commit for votes. Under load (dozens of annotators, hundreds of labels a second) one transaction per label
// spends its time on per-statement overhead, and on PGlite every transaction is serialised anyway. LabelWriter
// queues incoming votes and applies everything waiting as one transaction of a fixed handful of bulk statements,
// whatever the batch size; each caller still gets its own answer (its seq and annotation id, or its own error).
// Votes are applied in arrival order, so the result is the same as applying them one by one. These are plain votes:
// a vote replaces its author's decision (review.decide, labelling.ts) like any earlier vote of theirs, and others'
// decisions are read with the current votes, so the label is resolved by the same rule as every other write path.
import type { PrismaClient } from "@fewlabel/db";
import type { LabelChange, ProjectEvent } from "@fewlabel/realtime";
import { LabellingError, type Labeller } from "./votes";
import { reserveSeqs } from "./project-events";
import { resolveLabel, type VoteLike } from "./resolve-label";
import { type AnnotationRow, annotationKey, type ImageLabelRow, insertAnnotations, type VoteRow, writeVoteState } from "./vote-rows";

export interface VoteRequest {
  imageId: string;
  classId: string | null;
  unsure: boolean;
  clientLabelId: string;
}

export interface VoteOutcome {
  seq: number;
  annotationId: string;
  duplicate: boolean;
}

interface Pending {
  who: Labeller;
  req: VoteRequest;
  resolve: (o: VoteOutcome) => void;
  reject: (e: unknown) => void;
}

const MAX_BATCH = 500;

export class LabelWriter {
  private queue: Pending[] = [];
  private running = false;

  constructor(
    private readonly db: PrismaClient,
    private readonly publish: (events: ProjectEvent[]) => void,
  ) {}

  submit(who: Labeller, req: VoteRequest): Promise<VoteOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ who, req, resolve, reject });
      if (!this.running) {
        this.running = true;
        // Let votes that arrive in the same tick join the batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain() {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        const { outcomes, events } = await applyVotes(this.db, batch);
        this.publish(events);
        batch.forEach((p, i) => {
          const o = outcomes[i]!;
          if (o instanceof Error) p.reject(o);
          else p.resolve(o);
        });
      } catch (err) {
        // The batch as a whole failed (e.g. the database went away): every caller hears it, nothing was applied.
        for (const p of batch) p.reject(err);
      }
    }
    this.running = false;
  }
}

type Outcome = VoteOutcome | Error;

/** Retries are recognised by author and client id together. */
const requestKey = (p: Pending) => `${p.who.actor.id}/${p.req.clientLabelId}`;

async function applyVotes(db: PrismaClient, batch: Pending[]): Promise<{ outcomes: Outcome[]; events: ProjectEvent[] }> {
  const outcomes: (Outcome | undefined)[] = new Array(batch.length);

  // One round trip for everything checked before writing: retried requests already stored, and the project of every
  // image and class named (a vote must stay inside its own project).
  const clientIds = batch.map((p) => p.req.clientLabelId);
  const imageIds = [...new Set(batch.map((p) => p.req.imageId))];
  const classIds = [...new Set(batch.map((p) => p.req.classId).filter((c): c is string => c !== null))];
  const lookups = await db.$queryRaw<{ kind: "annotation" | "image" | "class"; key: string; a: string | null; b: string | null }[]>`
    SELECT 'annotation' AS kind, "authorId" || '/' || "clientLabelId" AS key, id::text AS a, seq::text AS b FROM "Annotation" WHERE "clientLabelId" = ANY(${clientIds}::text[])
    UNION ALL SELECT 'image', id, "projectId", "labelClassId" FROM "Image" WHERE id = ANY(${imageIds}::text[])
    UNION ALL SELECT 'class', id, "projectId", NULL FROM "LabelClass" WHERE id = ANY(${classIds}::text[])`;
  const known = lookups.filter((r) => r.kind === "annotation");
  const images = lookups.filter((r) => r.kind === "image").map((r) => ({ id: r.key, projectId: r.a!, labelClassId: r.b }));
  const classes = lookups.filter((r) => r.kind === "class").map((r) => ({ id: r.key, projectId: r.a! }));
  // A client id is its author's: another user's request with the same id is a different request.
  const knownById = new Map(known.map((k) => [k.key, { seq: Number(k.b ?? 0), annotationId: k.a!, duplicate: true }]));
  const firstInBatch = new Map<string, number>();
  batch.forEach((p, i) => {
    const k = knownById.get(requestKey(p));
    if (k) outcomes[i] = k;
    else if (firstInBatch.has(requestKey(p)))
      outcomes[i] = undefined; // filled from the first below
    else firstInBatch.set(requestKey(p), i);
  });

  const imageProject = new Map(images.map((i) => [i.id, i.projectId]));
  const classProject = new Map(classes.map((c) => [c.id, c.projectId]));
  const live: number[] = [];
  batch.forEach((p, i) => {
    if (outcomes[i] !== undefined || firstInBatch.get(requestKey(p)) !== i) return;
    if (imageProject.get(p.req.imageId) !== p.who.projectId) outcomes[i] = new LabellingError("not_found", "Image not found in this project.");
    else if (p.req.classId !== null && classProject.get(p.req.classId) !== p.who.projectId) outcomes[i] = new LabellingError("not_found", "That class does not exist in this project.");
    else live.push(i);
  });

  const events: ProjectEvent[] = [];
  if (live.length > 0) {
    await db.$transaction(async (tx) => {
      // Every writer of votes holds its project's row lock while it writes (reserveSeqs), so everything this batch
      // reads is read after taking those locks: a bulk label, an undo or another instance's batch that committed
      // while this one waited is seen. The rows are locked in one order, so two batches cannot deadlock.
      const projectIds = [...new Set(live.map((i) => batch[i]!.who.projectId))].sort();
      await tx.$queryRaw`SELECT id FROM "Project" WHERE id = ANY(${projectIds}::text[]) ORDER BY id FOR UPDATE`;
      // A resend whose original committed while this batch waited: answered with the original, like any retry.
      const liveKeys = live.map((i) => batch[i]!.req.clientLabelId);
      const late = await tx.$queryRaw<{ key: string; id: string; seq: string | null }[]>`
        SELECT "authorId" || '/' || "clientLabelId" AS key, id::text AS id, seq::text AS seq FROM "Annotation" WHERE "clientLabelId" = ANY(${liveKeys}::text[])`;
      const lateByKey = new Map(late.map((r) => [r.key, { seq: Number(r.seq ?? 0), annotationId: r.id, duplicate: true }]));
      for (let k = live.length - 1; k >= 0; k--) {
        const stored = lateByKey.get(requestKey(batch[live[k]!]!));
        if (stored) {
          outcomes[live[k]!] = stored;
          live.splice(k, 1);
        }
      }
      if (live.length === 0) return;
      const liveImages = [...new Set(live.map((i) => batch[i]!.req.imageId))];
      // Everyone's current votes on the touched images, and their labels: the state the batch is applied to, in order.
      const [current, labelled] = await Promise.all([
        tx.vote.findMany({ where: { imageId: { in: liveImages } }, select: { imageId: true, userId: true, classId: true, unsure: true, seq: true, decision: true } }),
        tx.image.findMany({ where: { id: { in: liveImages } }, select: { id: true, labelClassId: true } }),
      ]);
      const votes = new Map<string, Map<string, VoteLike>>();
      for (const v of current) {
        const m = votes.get(v.imageId) ?? new Map();
        m.set(v.userId, v);
        votes.set(v.imageId, m);
      }
      const resolvedBefore = new Map(labelled.map((i) => [i.id, i.labelClassId]));

      // Sequence numbers, per project, in arrival order.
      const perProject = new Map<string, number[]>();
      for (const i of live) perProject.set(batch[i]!.who.projectId, [...(perProject.get(batch[i]!.who.projectId) ?? []), i]);
      const seqOf = new Map<number, number>();
      for (const [projectId, idx] of perProject) {
        const first = await reserveSeqs(tx, projectId, idx.length);
        idx.forEach((i, k) => seqOf.set(i, first + k));
      }

      const now = new Date();
      const annotationRows: AnnotationRow[] = [];
      const changes = new Map<number, Omit<LabelChange, "annotationId">>();
      const finalImage = new Map<string, ReturnType<typeof resolveLabel>>();
      for (const i of live) {
        const { who, req } = batch[i]!;
        const seq = seqOf.get(i)!;
        const m = votes.get(req.imageId) ?? new Map<string, VoteLike>();
        votes.set(req.imageId, m);
        const previousClassId = m.get(who.actor.id)?.classId ?? null;
        m.set(who.actor.id, { userId: who.actor.id, classId: req.classId, unsure: req.unsure, seq, decision: false });
        const r = resolveLabel([...m.values()]);
        finalImage.set(req.imageId, r);
        changes.set(i, {
          imageId: req.imageId,
          userId: who.actor.id,
          classId: req.classId,
          unsure: req.unsure,
          previousClassId,
          resolvedClassId: r.classId,
          previousResolvedClassId: resolvedBefore.get(req.imageId) ?? null,
          votes: r.voteCount,
          disagreement: r.disagreement,
          undo: false,
          decision: false,
        });
        resolvedBefore.set(req.imageId, r.classId);
        annotationRows.push({
          projectId: who.projectId,
          imageId: req.imageId,
          classId: req.classId,
          authorId: who.actor.id,
          source: "HUMAN",
          seq,
          unsure: req.unsure,
          previousClassId,
          clientLabelId: req.clientLabelId,
          undoOf: null,
          decision: false,
        });
      }
      const annotationId = await insertAnnotations(tx, annotationRows, now);

      // Final state: one row per (image, author) vote and one per image.
      const touched = new Set(live.map((i) => `${batch[i]!.req.imageId}/${batch[i]!.who.actor.id}`));
      const voteRows: VoteRow[] = [];
      for (const [imageId, m] of votes) {
        for (const v of m.values()) {
          if (touched.has(`${imageId}/${v.userId}`))
            voteRows.push({ imageId, userId: v.userId, projectId: imageProject.get(imageId)!, classId: v.classId, unsure: v.unsure, decision: v.decision ?? false, seq: Number(v.seq) });
        }
      }
      const imageRows: ImageLabelRow[] = [...finalImage].map(([id, r]) => ({
        id,
        classId: r.classId,
        labelSource: r.classId ? "HUMAN" : null,
        decidedBy: r.decidedBy,
        votes: r.voteCount,
        disagreement: r.disagreement,
      }));
      // The annotators are done with these images: free their leases.
      const leases = live.map((i) => ({ imageId: batch[i]!.req.imageId, userId: batch[i]!.who.actor.id }));
      const at = now.toISOString();
      for (const i of live) {
        const { who } = batch[i]!;
        const seq = seqOf.get(i)!;
        const id = annotationId.get(annotationKey(who.projectId, seq))!;
        events.push({ type: "label", seq, projectId: who.projectId, at, actor: who.actor, data: { ...changes.get(i)!, annotationId: id } });
        outcomes[i] = { seq, annotationId: id, duplicate: false };
      }
      await writeVoteState(tx, { votes: voteRows, images: imageRows, leases, events }, now);
    });
  }
  // Repeats inside the batch get the first request's outcome, marked duplicate.
  batch.forEach((p, i) => {
    if (outcomes[i] !== undefined) return;
    const first = outcomes[firstInBatch.get(requestKey(p))!];
    outcomes[i] = first instanceof Error || first === undefined ? (first ?? new Error("lost")) : { ...first, duplicate: true };
  });
  return { outcomes: outcomes as Outcome[], events };
}
