// Deleting a project deletes its files (issue 18): its model files and checkpoints, which no other project shares,
// and each image's original, thumbnail and training copies unless another project holds the same content (files are
// content-addressed: one upload of the same bytes into two projects is stored once).
//
// The shared blobs are collected safely against concurrent ingest. Ingest writes an image's files first and inserts
// its row afterwards, in a transaction holding BLOB_LOCK in shared mode, then checks that the files are still there
// (and writes them again if not: it still has the bytes). Collection, for a batch of content hashes, takes BLOB_LOCK
// exclusively, keeps the hashes some row still references and deletes the files of the rest before it lets go. So an
// ingest's row lands either before the check (the files are kept) or after the deletion (the ingest rewrites them).
import type { Prisma, PrismaClient } from "@fewlabel/db";
import { type ImageStore, originalKey, thumbnailKey, trainingKey } from "@fewlabel/storage";
import { modelFileKey, modelKinds } from "./model-versions";

/** Arbitrary constant (beside the migration lock's): content-addressed image files. */
const BLOB_LOCK = 72_107_306;

/** Ingest's side: called in the transaction that inserts image rows. */
export async function lockBlobsShared(tx: Prisma.TransactionClient): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock_shared(${BLOB_LOCK})`;
}

/** After image rows are committed: files a concurrent collection deleted meanwhile are written again. */
export async function restoreMissingBlobs(store: ImageStore, images: { hash: string; bytes: Uint8Array; thumbnail: Uint8Array; training: Uint8Array; trainingSide: number }[]): Promise<number> {
  let restored = 0;
  for (const image of images) {
    if (await store.has(originalKey(image.hash))) continue;
    await Promise.all([store.put(thumbnailKey(image.hash), image.thumbnail), store.put(trainingKey(image.hash, image.trainingSide), image.training)]);
    await store.put(originalKey(image.hash), image.bytes);
    restored++;
  }
  return restored;
}

const CHUNK = 500;

/**
 * Deletes the project (its rows cascade) and then its files: model files and checkpoints, and the image files no
 * other project's image shares. `trainingSides`: the training copy sizes to delete (the server's, and any it used
 * before). Returns what was deleted and kept.
 */
export async function deleteProjectAndFiles(
  db: PrismaClient,
  store: ImageStore,
  projectId: string,
  trainingSides: number[],
): Promise<{ imagesDeleted: number; imagesShared: number; projectFiles: number }> {
  const [hashes, versions, checkpoints] = await Promise.all([
    db.image.findMany({ where: { projectId }, distinct: ["contentHash"], select: { contentHash: true } }),
    db.modelVersion.findMany({ where: { projectId }, select: { id: true, files: true } }),
    db.trainingCheckpoint.findMany({ where: { projectId }, select: { slot: true } }),
  ]);
  await db.project.delete({ where: { id: projectId } });

  const projectKeys = [
    ...versions.flatMap((v) => {
      const files = (v.files ?? {}) as Partial<Record<(typeof modelKinds)[number], string[]>>;
      return modelKinds.flatMap((kind) => (files[kind] ?? []).map((name) => modelFileKey(projectId, v.id, kind, name)));
    }),
    ...checkpoints.map((c) => `checkpoints/${projectId}/${c.slot}`),
  ];
  for (const key of projectKeys) await store.delete(key);

  let imagesDeleted = 0,
    imagesShared = 0;
  const all = hashes.map((h) => h.contentHash);
  for (let start = 0; start < all.length; start += CHUNK) {
    const chunk = all.slice(start, start + CHUNK);
    await db.$transaction(
      async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(${BLOB_LOCK})`;
        const referenced = new Set((await tx.image.findMany({ where: { contentHash: { in: chunk } }, distinct: ["contentHash"], select: { contentHash: true } })).map((i) => i.contentHash));
        for (const hash of chunk) {
          if (referenced.has(hash)) {
            imagesShared++;
            continue;
          }
          await Promise.all([store.delete(originalKey(hash)), store.delete(thumbnailKey(hash)), ...trainingSides.map((side) => store.delete(trainingKey(hash, side)))]);
          imagesDeleted++;
        }
      },
      { timeout: 120_000 },
    );
  }
  return { imagesDeleted, imagesShared, projectFiles: projectKeys.length };
}
