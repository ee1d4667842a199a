// Near-duplicate groups (issue 17, item 3): the trainer posts the groups of images it finds to be the same picture
// (packages/ml/src/eval/nearDuplicates.ts); reviewers keep one and hide the others, or mark the group distinct. Hiding
// takes an image out of the grid, the work queue, training and the map but keeps it, its labels and its history:
// showing the group again (undo) loses nothing.
import type { Prisma, PrismaClient } from "@fewlabel/db";
import type { ProjectEvent } from "@fewlabel/realtime";
import { type Actor, appendEvents } from "./project-events";
import { LabellingError } from "./votes";

export interface PostedDuplicateGroup {
  imageIds: string[];
  similarity: number;
  straddlesHoldout: boolean;
}

/** Most groups one post carries (the trainer sends the whole current list). */
export const MAX_DUPLICATE_GROUPS = 2000;
/** Most images one group holds. */
export const MAX_GROUP_SIZE = 50;

const memberKeyOf = (ids: string[]) => [...ids].sort().join(",");

/**
 * Replaces the project's open groups with the trainer's current list. Members that are not the project's visible
 * images are dropped (a group left with fewer than two goes); groups a reviewer settled (kept one, or found distinct)
 * for the same members stay settled; an open group found again keeps its id.
 */
export async function postDuplicateGroups(db: PrismaClient, projectId: string, groups: PostedDuplicateGroup[]): Promise<{ open: number; settled: number }> {
  return db.$transaction(async (tx) => {
    const ids = [...new Set(groups.flatMap((g) => g.imageIds))];
    const visible = new Set((await tx.image.findMany({ where: { projectId, id: { in: ids }, hiddenAt: null }, select: { id: true } })).map((i) => i.id));
    const current = new Map<string, PostedDuplicateGroup>();
    for (const g of groups) {
      const members = [...new Set(g.imageIds.filter((id) => visible.has(id)))];
      if (members.length >= 2) current.set(memberKeyOf(members), { ...g, imageIds: members });
    }
    const existing = await tx.duplicateGroup.findMany({ where: { projectId, memberKey: { in: [...current.keys()] } }, select: { id: true, memberKey: true, status: true } });
    const known = new Map(existing.map((e) => [e.memberKey, e]));
    await tx.duplicateGroup.deleteMany({ where: { projectId, status: "OPEN", memberKey: { notIn: [...current.keys()] } } });
    let settled = 0;
    for (const [memberKey, g] of current) {
      const found = known.get(memberKey);
      if (found && found.status !== "OPEN") {
        settled++;
        continue;
      }
      if (found) {
        await tx.duplicateGroup.update({ where: { id: found.id }, data: { similarity: g.similarity, straddlesHoldout: g.straddlesHoldout } });
        continue;
      }
      const created = await tx.duplicateGroup.create({ data: { projectId, memberKey, similarity: g.similarity, straddlesHoldout: g.straddlesHoldout }, select: { id: true } });
      await tx.duplicateMember.createMany({ data: g.imageIds.map((imageId) => ({ groupId: created.id, imageId })) });
    }
    return { open: current.size - settled, settled };
  });
}

/** Open groups, those that straddle the held-out split first, then the most alike; with their members. */
export async function openDuplicateGroups(db: PrismaClient, projectId: string, limit: number) {
  const where = { projectId, status: "OPEN" as const };
  const [total, straddling, rows] = await Promise.all([
    db.duplicateGroup.count({ where }),
    db.duplicateGroup.count({ where: { ...where, straddlesHoldout: true } }),
    db.duplicateGroup.findMany({
      where,
      orderBy: [{ straddlesHoldout: "desc" }, { similarity: "desc" }, { id: "asc" }],
      take: limit,
      include: { members: { include: { image: { select: { id: true, filename: true, width: true, height: true, labelClassId: true, createdAt: true } } } } },
    }),
  ]);
  return {
    total,
    straddling,
    items: rows.map((g) => ({
      id: g.id,
      similarity: g.similarity,
      straddlesHoldout: g.straddlesHoldout,
      images: g.members.map((m) => m.image).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id)),
    })),
  };
}

async function openGroup(db: Prisma.TransactionClient, projectId: string, groupId: string) {
  const group = await db.duplicateGroup.findFirst({ where: { id: groupId, projectId }, include: { members: { select: { imageId: true } } } });
  if (!group) throw new LabellingError("not_found", "Duplicate group not found in this project.");
  return group;
}

/**
 * Settles a group: `keep` one member and hide the others (their pending suggestions go with them), or find them
 * `distinct` (not raised again for these members). Only an open group can be settled.
 */
export async function resolveDuplicateGroup(
  db: PrismaClient,
  projectId: string,
  actor: Actor,
  groupId: string,
  action: { kind: "keep"; imageId: string } | { kind: "distinct" },
): Promise<ProjectEvent[]> {
  return db.$transaction(async (tx) => {
    const group = await openGroup(tx, projectId, groupId);
    const members = group.members.map((m) => m.imageId);
    if (action.kind === "keep" && !members.includes(action.imageId)) throw new LabellingError("bad_request", "The image to keep is not in this group.");
    // Settled only if still open when this write takes the row: of two reviewers settling one group at once (one keeping
    // each image), the second finds it settled instead of hiding the image the first kept.
    const resolved = { resolvedById: actor.id, resolvedAt: new Date() };
    const settled = await tx.duplicateGroup.updateMany({
      where: { id: groupId, projectId, status: "OPEN" },
      data: action.kind === "distinct" ? { status: "DISTINCT", ...resolved } : { status: "RESOLVED", keptImageId: action.imageId, ...resolved },
    });
    if (settled.count === 0) throw new LabellingError("conflict", "Someone has already settled this group.");
    if (action.kind === "distinct") return [];
    const hide = members.filter((id) => id !== action.imageId);
    // Only images still visible: one hidden since (by another group) stays as it is and is not announced again.
    const visible = (await tx.image.findMany({ where: { id: { in: hide }, hiddenAt: null }, select: { id: true } })).map((i) => i.id);
    await tx.image.updateMany({ where: { id: { in: visible } }, data: { hiddenAt: new Date() } });
    await tx.pseudoLabel.deleteMany({ where: { imageId: { in: visible }, status: "PENDING" } });
    return visible.length ? appendEvents(tx, projectId, actor, [{ type: "images.hidden", data: { imageIds: visible, hidden: true } }]) : [];
  });
}

/** Takes a settled group back to open, showing the images its resolution hid (undo). */
export async function reopenDuplicateGroup(db: PrismaClient, projectId: string, actor: Actor, groupId: string): Promise<ProjectEvent[]> {
  return db.$transaction(async (tx) => {
    const group = await openGroup(tx, projectId, groupId);
    // Reopened only by the first of two undos at once.
    const reopened = await tx.duplicateGroup.updateMany({
      where: { id: groupId, projectId, status: { not: "OPEN" } },
      data: { status: "OPEN", keptImageId: null, resolvedById: null, resolvedAt: null },
    });
    if (reopened.count === 0) return [];
    const hidden = group.status === "RESOLVED" ? group.members.map((m) => m.imageId).filter((id) => id !== group.keptImageId) : [];
    const shown = (await tx.image.findMany({ where: { id: { in: hidden }, hiddenAt: { not: null } }, select: { id: true } })).map((i) => i.id);
    await tx.image.updateMany({ where: { id: { in: shown } }, data: { hiddenAt: null } });
    return shown.length ? appendEvents(tx, projectId, actor, [{ type: "images.hidden", data: { imageIds: shown, hidden: false } }]) : [];
  });
}

/** Shows hidden images of the project again (from the grid's "Hidden" view); the groups that hid them stay settled. */
export async function showImages(db: PrismaClient, projectId: string, actor: Actor, imageIds: string[]): Promise<ProjectEvent[]> {
  return db.$transaction(async (tx) => {
    const shown = (await tx.image.findMany({ where: { projectId, id: { in: imageIds }, hiddenAt: { not: null } }, select: { id: true } })).map((i) => i.id);
    await tx.image.updateMany({ where: { id: { in: shown } }, data: { hiddenAt: null } });
    return shown.length ? appendEvents(tx, projectId, actor, [{ type: "images.hidden", data: { imageIds: shown, hidden: false } }]) : [];
  });
}
