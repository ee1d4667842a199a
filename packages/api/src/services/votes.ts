// The vote path every label goes through: an annotator's or reviewer's vote (or a decision) on images, recorded with
// its history, the image's label re-resolved (resolve-label.ts) and numbered events appended; the caller broadcasts
// them. Labelling (labelling.ts), reviews of suggestions (pseudo-labels.ts) and label checks (label-issues.ts) all write
// through here, so none of them imports another for it.
import type { LabelSource, Prisma } from "@fewlabel/db";
import type { LabelChange, ProjectEvent } from "@fewlabel/realtime";
import { type Actor, reserveSeqs } from "./project-events";
import { resolveLabel, type VoteLike } from "./resolve-label";
import { type AnnotationRow, annotationKey, type ImageLabelRow, insertAnnotations, type VoteRow, writeVoteState } from "./vote-rows";

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

/**
 * Casts votes and records them as numbered events. The sequence numbers are reserved first (which locks the
 * project row), so the numbers stored with the votes are exactly the events' numbers even with concurrent writers,
 * and everything read here is read under that lock. The outcome is computed in memory, vote by vote in order (an
 * image may appear more than once, e.g. in a batch of undos), and written with vote-rows.ts's set-based statements:
 * a bulk label of 500 images or a bulk accept of 2,000 suggestions is a fixed handful of statements.
 */
export async function castNumberedVotes(tx: Prisma.TransactionClient, who: Labeller, votes: VoteInput[], undoOf: bigint | null, source: LabelSource = "HUMAN"): Promise<ProjectEvent[]> {
  if (votes.length === 0) return [];
  const firstSeq = await reserveSeqs(tx, who.projectId, votes.length);
  const imageIds = [...new Set(votes.map((v) => v.imageId))];
  const [images, current] = await Promise.all([
    tx.image.findMany({ where: { id: { in: imageIds }, projectId: who.projectId }, select: { id: true, labelClassId: true } }),
    tx.vote.findMany({ where: { imageId: { in: imageIds } }, select: { imageId: true, userId: true, classId: true, unsure: true, seq: true, decision: true } }),
  ]);
  if (images.length !== imageIds.length) throw new LabellingError("not_found", "Image not found in this project.");
  const resolved = new Map(images.map((i) => [i.id, i.labelClassId]));
  const byImage = new Map<string, Map<string, VoteLike>>(imageIds.map((id) => [id, new Map()]));
  for (const v of current) byImage.get(v.imageId)!.set(v.userId, v);

  const now = new Date();
  const at = now.toISOString();
  const annotations: AnnotationRow[] = [];
  const changes: Omit<LabelChange, "annotationId">[] = [];
  const labels = new Map<string, ImageLabelRow>();
  for (const [i, v] of votes.entries()) {
    const seq = firstSeq + i;
    const m = byImage.get(v.imageId)!;
    const previousClassId = m.get(who.actor.id)?.classId ?? null;
    const decision = v.decision ?? false;
    const undo = v.undoOf ?? undoOf;
    m.set(who.actor.id, { userId: who.actor.id, classId: v.classId, unsure: v.unsure, seq, decision });
    const r = resolveLabel([...m.values()]);
    labels.set(v.imageId, {
      id: v.imageId,
      classId: r.classId,
      // A reviewer accepting a model's suggestion decides the label with that source; any other outcome is people's.
      labelSource: !r.classId ? null : r.classId === v.classId && r.decidedBy === who.actor.id ? source : "HUMAN",
      decidedBy: r.decidedBy,
      votes: r.voteCount,
      disagreement: r.disagreement,
    });
    annotations.push({
      projectId: who.projectId,
      imageId: v.imageId,
      classId: v.classId,
      authorId: who.actor.id,
      source,
      seq,
      unsure: v.unsure,
      previousClassId,
      clientLabelId: v.clientLabelId ?? null,
      undoOf: undo === null ? null : undo.toString(),
      decision,
    });
    changes.push({
      imageId: v.imageId,
      userId: who.actor.id,
      classId: v.classId,
      unsure: v.unsure,
      previousClassId,
      resolvedClassId: r.classId,
      previousResolvedClassId: resolved.get(v.imageId) ?? null,
      votes: r.voteCount,
      disagreement: r.disagreement,
      decision,
      undo: undo !== null,
    });
    resolved.set(v.imageId, r.classId);
  }
  const annotationIds = await insertAnnotations(tx, annotations, now);
  const events: ProjectEvent[] = changes.map((data, i) => ({
    type: "label" as const,
    seq: firstSeq + i,
    projectId: who.projectId,
    at,
    actor: who.actor,
    data: { ...data, annotationId: annotationIds.get(annotationKey(who.projectId, firstSeq + i))! },
  }));
  const mine: VoteRow[] = imageIds.map((imageId) => {
    const v = byImage.get(imageId)!.get(who.actor.id)!;
    return { imageId, userId: who.actor.id, projectId: who.projectId, classId: v.classId, unsure: v.unsure, decision: v.decision ?? false, seq: Number(v.seq) };
  });
  // The annotator is done with these images: free their leases.
  const leases = imageIds.map((imageId) => ({ imageId, userId: who.actor.id }));
  await writeVoteState(tx, { votes: mine, images: [...labels.values()], leases, events }, now);
  return events;
}
