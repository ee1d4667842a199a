// Labelling many images at once from the grid (`label:setMany`, at most 500 images a request) and taking it back.
import type { LabelManyResult } from "@fewlabel/realtime";
import { errorMessage } from "../errors";
import { plural } from "../format";
import { newClientId, recentEvents, sendLabels, undoMyLast } from "../realtime/connection";

const perRequest = 500;

export interface BulkResult {
  count: number;
  acks: LabelManyResult[];
}

export async function labelImages(projectId: string, imageIds: string[], classId: string | null): Promise<BulkResult> {
  const acks: LabelManyResult[] = [];
  for (let i = 0; i < imageIds.length; i += perRequest) {
    acks.push(await sendLabels({ projectId, imageIds: imageIds.slice(i, i + perRequest), classId, clientLabelId: newClientId() }));
  }
  return { count: acks.reduce((n, a) => n + a.count, 0), acks };
}

/**
 * Puts my votes on those images back to what they were before the bulk label. The bulk label's own events (which
 * carry my previous vote per image) say what that was; images are grouped by previous vote, one request per group.
 * Only my votes change, so teammates' votes on the same images stay. Without those events (more than the last couple
 * of thousand ago), it falls back to undoing my latest changes one by one.
 */
export async function revertBulk(projectId: string, userId: string, result: BulkResult): Promise<void> {
  const changes = result.acks.flatMap((a) => recentEvents(projectId, a.seq - a.count + 1, a.seq)).flatMap((e) => (e.type === "label" && e.data.userId === userId ? [e.data] : []));
  if (changes.length === result.count) {
    const byPrevious = new Map<string | null, string[]>();
    for (const c of changes) byPrevious.set(c.previousClassId, [...(byPrevious.get(c.previousClassId) ?? []), c.imageId]);
    for (const [classId, ids] of byPrevious) await labelImages(projectId, ids, classId);
    return;
  }
  for (let i = 0; i < result.count; i++) await undoMyLast(projectId);
}

/**
 * The "Undo" of a bulk label's toast (the grid and the map both offer it): reverts the bulk label and says how that
 * went in a toast of its own. None without a signed-in user, whose votes the revert would find.
 */
export function undoBulkAction(
  projectId: string,
  userId: string | undefined,
  result: BulkResult,
  show: (t: { text: string; tone?: "info" | "error" }) => void,
): { label: string; run: () => void } | undefined {
  if (!userId) return undefined;
  return {
    label: "Undo",
    run: () =>
      void revertBulk(projectId, userId, result).then(
        () => show({ text: `Undone: ${plural(result.count, "image")} back as they were.` }),
        (err: unknown) => show({ text: errorMessage(err), tone: "error" }),
      ),
  };
}
