// Selections made outside the grid (a lasso on the embedding map, issue 17 item 4): stored so that the grid can show
// exactly those images for bulk labelling (images.list's `selectionId` filter), however many there are. A URL or a
// query string could not carry tens of thousands of ids.
import type { PrismaClient } from "@fewlabel/db";

/** Most images one selection holds (the map's largest projects). */
export const MAX_SELECTION = 100_000;
/** Selections each person keeps per project; older ones go as new ones are made. */
export const KEPT_SELECTIONS = 10;

/** Saves the images of `imageIds` that are the project's as a selection of this person; returns it and its size. */
export async function saveSelection(db: PrismaClient, projectId: string, userId: string, imageIds: string[]): Promise<{ selectionId: string; count: number }> {
  return db.$transaction(async (tx) => {
    const own = (await tx.image.findMany({ where: { projectId, id: { in: [...new Set(imageIds)] } }, select: { id: true } })).map((i) => i.id);
    const selection = await tx.imageSelection.create({ data: { projectId, userId }, select: { id: true } });
    await tx.imageSelectionItem.createMany({ data: own.map((imageId) => ({ selectionId: selection.id, imageId })) });
    const old = await tx.imageSelection.findMany({ where: { projectId, userId }, orderBy: [{ createdAt: "desc" }, { id: "desc" }], skip: KEPT_SELECTIONS, select: { id: true } });
    if (old.length > 0) await tx.imageSelection.deleteMany({ where: { id: { in: old.map((o) => o.id) } } });
    return { selectionId: selection.id, count: own.length };
  });
}
