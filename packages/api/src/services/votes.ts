// The vote path every label goes through: an annotator's or reviewer's vote (or a decision) on images, recorded with
// its history, the image's label re-resolved (resolve-label.ts) and numbered events appended; the caller broadcasts
// them. Labelling (labelling.ts), reviews of suggestions (pseudo-labels.ts) and label checks (label-issues.ts) all write
// through here, so none of them imports another for it.
import type { LabelSource, Prisma } from "@fewlabel/db";
import type { LabelChange, ProjectEvent } from "@fewlabel/realtime";
import { type Actor, reserveSeqs, storeEvents } from "./project-events";
import { resolveLabel } from "./resolve-label";

export class LabellingError extends Error {
  constructor(
    readonly code: "not_found" | "conflict" | "bad_request",
    message: string,
  ) {
    super(message);
    this.name = "LabellingError";
  }
}

export interface Labeller {
  projectId: string;
  actor: Actor;
}

interface VoteInput {
  imageId: string;
  classId: string | null;
  unsure: boolean;
  clientLabelId?: string | null;
  /** A reviewer's decision (decideLabel); anything else is a plain vote, which also replaces the author's decision. */
  decision?: boolean;
  /** The annotation this vote takes back, when it differs per vote (a batch of undos); else the call's `undoOf`. */
  undoOf?: bigint | null;
}

export async function assertClassInProject(tx: Prisma.TransactionClient, projectId: string, classId: string | null) {
  if (classId === null) return;
  const found = await tx.labelClass.count({ where: { id: classId, projectId } });
  if (found === 0) throw new LabellingError("not_found", "That class does not exist in this project.");
}

/** Records votes and returns their label changes (without seq; the caller appends them as events). */
async function castVotes(tx: Prisma.TransactionClient, who: Labeller, votes: VoteInput[], opts: { undoOf: bigint | null; firstSeq: number; source: LabelSource }): Promise<LabelChange[]> {
  const imageIds = votes.map((v) => v.imageId);
  const images = await tx.image.findMany({ where: { id: { in: imageIds }, projectId: who.projectId }, select: { id: true, labelClassId: true } });
  if (images.length !== new Set(imageIds).size) throw new LabellingError("not_found", "Image not found in this project.");
  const before = new Map(images.map((i) => [i.id, i.labelClassId]));
  const mine = new Map((await tx.vote.findMany({ where: { imageId: { in: imageIds }, userId: who.actor.id }, select: { imageId: true, classId: true } })).map((v) => [v.imageId, v.classId]));
  const now = new Date();
  const changes: LabelChange[] = [];
  for (const [i, v] of votes.entries()) {
    const seq = BigInt(opts.firstSeq + i);
    const previousClassId = mine.get(v.imageId) ?? null;
    const decision = v.decision ?? false;
    await tx.vote.upsert({
      where: { imageId_userId: { imageId: v.imageId, userId: who.actor.id } },
      create: { imageId: v.imageId, userId: who.actor.id, projectId: who.projectId, classId: v.classId, unsure: v.unsure, decision, seq, updatedAt: now },
      update: { classId: v.classId, unsure: v.unsure, decision, seq, updatedAt: now },
    });
    const annotation = await tx.annotation.create({
      data: {
        projectId: who.projectId,
        imageId: v.imageId,
        classId: v.classId,
        authorId: who.actor.id,
        source: opts.source,
        seq,
        unsure: v.unsure,
        previousClassId,
        clientLabelId: v.clientLabelId ?? null,
        undoOf: v.undoOf ?? opts.undoOf,
        decision,
        createdAt: now,
      },
      select: { id: true },
    });
    const all = await tx.vote.findMany({ where: { imageId: v.imageId }, select: { userId: true, classId: true, unsure: true, seq: true, decision: true } });
    const r = resolveLabel(all);
    await tx.image.update({
      where: { id: v.imageId },
      data: {
        labelClassId: r.classId,
        // A reviewer accepting a model's suggestion decides the label with that source; any other outcome is people's.
        labelSource: !r.classId ? null : r.classId === v.classId && r.decidedBy === who.actor.id ? opts.source : "HUMAN",
        labelledById: r.decidedBy,
        labelledAt: r.classId ? now : null,
        voteCount: r.voteCount,
        disagreement: r.disagreement,
      },
    });
    changes.push({
      imageId: v.imageId,
      userId: who.actor.id,
      classId: v.classId,
      unsure: v.unsure,
      previousClassId,
      resolvedClassId: r.classId,
      previousResolvedClassId: before.get(v.imageId) ?? null,
      votes: r.voteCount,
      disagreement: r.disagreement,
      annotationId: annotation.id.toString(),
      decision,
      undo: (v.undoOf ?? opts.undoOf) !== null,
    });
  }
  // The annotator is done with these images: free their leases.
  await tx.lease.deleteMany({ where: { imageId: { in: imageIds }, userId: who.actor.id } });
  return changes;
}

/**
 * Casts votes and records them as numbered events. The sequence numbers are reserved first (which locks the
 * project row), so the numbers stored with the votes are exactly the events' numbers even with concurrent writers.
 */
export async function castNumberedVotes(tx: Prisma.TransactionClient, who: Labeller, votes: VoteInput[], undoOf: bigint | null, source: LabelSource = "HUMAN"): Promise<ProjectEvent[]> {
  const firstSeq = await reserveSeqs(tx, who.projectId, votes.length);
  const changes = await castVotes(tx, who, votes, { undoOf, firstSeq, source });
  const at = new Date().toISOString();
  const events = changes.map((data, i) => ({ type: "label" as const, seq: firstSeq + i, projectId: who.projectId, at, actor: who.actor, data }));
  await storeEvents(tx, events);
  return events;
}
