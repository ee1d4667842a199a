// Training copies at the configured size for every stored image, made ahead of the trainers: after the size setting
// changes (FEWLABEL_TRAINING_COPY_SIZE), images uploaded before have copies of the old size only. The image route
// makes a missing copy on demand as well; this walk makes them in the background, a page of images at a time and a
// few decodes at once, so labelling and uploads go on meanwhile.
import type { PrismaClient } from "@fewlabel/db";
import { getTrainingCopy, hasTrainingCopy, type ImageStore } from "@fewlabel/storage";
import { trainingCopySideOf } from "../context";

export interface BackfillResult {
  /** Distinct images looked at. */
  checked: number;
  /** Copies made. */
  made: number;
  /** Images whose copy could not be made (original missing or unreadable); the image route reports them when asked. */
  failed: number;
}

export async function backfillTrainingCopies(
  services: { db: PrismaClient; store: ImageStore; trainingCopySide?: number },
  o: { signal?: AbortSignal; concurrency?: number; pageSize?: number } = {},
): Promise<BackfillResult> {
  const side = trainingCopySideOf(services);
  const result: BackfillResult = { checked: 0, made: 0, failed: 0 };
  const seen = new Set<string>();
  let after: string | undefined;
  const concurrency = Math.max(1, o.concurrency ?? 2);
  while (!o.signal?.aborted) {
    const page = await services.db.image.findMany({
      where: after ? { id: { gt: after } } : {},
      orderBy: { id: "asc" },
      take: o.pageSize ?? 500,
      select: { id: true, contentHash: true },
    });
    if (page.length === 0) break;
    after = page[page.length - 1]!.id;
    const hashes = [...new Set(page.map((i) => i.contentHash))].filter((h) => !seen.has(h));
    for (let i = 0; i < hashes.length && !o.signal?.aborted; i += concurrency) {
      await Promise.all(
        hashes.slice(i, i + concurrency).map(async (hash) => {
          seen.add(hash);
          result.checked++;
          try {
            if (await hasTrainingCopy(services.store, hash, side)) return;
            await getTrainingCopy(services.store, hash, side);
            result.made++;
          } catch {
            result.failed++;
          }
        }),
      );
    }
  }
  return result;
}
