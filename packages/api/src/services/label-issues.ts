// Possible label errors (issue 17, item 6): human labels the trainer's model confidently contradicts (confident
// learning on out-of-sample probabilities, apps/trainer/src/label-issues.ts), listed for reviewers. A reviewer settles
// one with a decision (resolve-label.ts): keeping the label or changing it, recorded in the image's history like any
// decision; an issue kept is not raised again for the same label.
import type { PrismaClient } from "@fewlabel/db";
import type { ProjectEvent } from "@fewlabel/realtime";
import { castNumberedVotes, LabellingError, type Labeller } from "./votes";

export interface PostedLabelIssue {
  imageId: string;
  givenClassId: string;
  suggestedClassId: string;
  selfConfidence: number;
  suggestedConfidence: number;
}

/** Most issues one post carries (the trainer sends the whole current list). */
export const MAX_LABEL_ISSUES = 1000;

/**
 * Replaces the project's open issues with the trainer's current list: new ones open, open ones not listed any more
 * go, and an image whose label a reviewer already kept or changed for that given class is left as settled.
 */
export async function postLabelIssues(db: PrismaClient, projectId: string, modelVersionId: string, items: PostedLabelIssue[]): Promise<{ open: number; settled: number }> {
  return db.$transaction(async (tx) => {
    if (!(await tx.modelVersion.findFirst({ where: { id: modelVersionId, projectId }, select: { id: true } }))) throw new LabellingError("not_found", "Model version not found in this project.");
    const classes = new Set((await tx.labelClass.findMany({ where: { projectId }, select: { id: true } })).map((c) => c.id));
    const images = new Map((await tx.image.findMany({ where: { id: { in: items.map((i) => i.imageId) }, projectId }, select: { id: true, labelClassId: true } })).map((i) => [i.id, i.labelClassId]));
    // Only issues about the label the image still has, in classes of this project.
    const current = items.filter((i) => classes.has(i.givenClassId) && classes.has(i.suggestedClassId) && i.givenClassId !== i.suggestedClassId && images.get(i.imageId) === i.givenClassId);
    const settled = new Set(
      (await tx.labelIssue.findMany({ where: { projectId, status: { not: "OPEN" }, imageId: { in: current.map((i) => i.imageId) } }, select: { imageId: true, givenClassId: true } })).map(
        (s) => `${s.imageId}:${s.givenClassId}`,
      ),
    );
    const fresh = current.filter((i) => !settled.has(`${i.imageId}:${i.givenClassId}`));
    // An issue still raised keeps its id (a reviewer may be looking at it while the trainer posts again); its numbers
    // are updated. Open issues not raised any more go; new ones are created.
    const open = new Map(
      (await tx.labelIssue.findMany({ where: { projectId, status: "OPEN" }, select: { id: true, imageId: true, givenClassId: true } })).map((o) => [`${o.imageId}:${o.givenClassId}`, o.id]),
    );
    const keep = new Set<string>();
    for (const i of fresh) {
      const id = open.get(`${i.imageId}:${i.givenClassId}`);
      if (!id) continue;
      keep.add(id);
      await tx.labelIssue.update({ where: { id }, data: { modelVersionId, suggestedClassId: i.suggestedClassId, selfConfidence: i.selfConfidence, suggestedConfidence: i.suggestedConfidence } });
    }
    await tx.labelIssue.deleteMany({ where: { projectId, status: "OPEN", id: { notIn: [...keep] } } });
    await tx.labelIssue.createMany({ data: fresh.filter((i) => !open.has(`${i.imageId}:${i.givenClassId}`)).map((i) => ({ projectId, modelVersionId, ...i })) });
    return { open: fresh.length, settled: current.length - fresh.length };
  });
}

/**
 * A reviewer's answer to an issue: the image's label becomes `classId` by decision (the given class: kept; another:
 * changed). Refused once the issue is settled or the image's label has changed since the trainer raised it.
 */
export async function resolveLabelIssue(db: PrismaClient, who: Labeller, issueId: string, classId: string): Promise<ProjectEvent[]> {
  return db.$transaction(async (tx) => {
    const issue = await tx.labelIssue.findFirst({ where: { id: issueId, projectId: who.projectId }, include: { image: { select: { labelClassId: true } } } });
    if (!issue) throw new LabellingError("not_found", "That possible label error is not in this project.");
    if (issue.status !== "OPEN") throw new LabellingError("conflict", `Already settled (${issue.status === "KEPT" ? "label kept" : "label changed"}).`);
    if (issue.image.labelClassId !== issue.givenClassId) throw new LabellingError("conflict", "The image's label has changed since; the model will look again.");
    if ((await tx.labelClass.count({ where: { id: classId, projectId: who.projectId } })) === 0) throw new LabellingError("not_found", "That class does not exist in this project.");
    const events = await castNumberedVotes(tx, who, [{ imageId: issue.imageId, classId, unsure: false, decision: true }], null);
    await tx.labelIssue.update({ where: { id: issue.id }, data: { status: classId === issue.givenClassId ? "KEPT" : "CHANGED", reviewedById: who.actor.id, reviewedAt: new Date() } });
    return events;
  });
}
