// An image's training copy at a given size: read from the store, or, where the store has none at that size (the
// size setting changed since the image was uploaded), made from the original and kept. Concurrent requests for the
// same missing copy share one decode.
import { decodeImage, DEFAULT_DECODE_LIMITS } from "./decode-image";
import { ImageNotFoundError, type ImageStore } from "./image-store";
import { originalKey, trainingKey } from "./keys";

const making = new Map<string, Promise<Buffer>>();

export async function getTrainingCopy(store: ImageStore, hash: string, side: number): Promise<Buffer> {
  const key = trainingKey(hash, side);
  try {
    return await store.get(key);
  } catch (err) {
    if (!(err instanceof ImageNotFoundError)) throw err;
  }
  let pending = making.get(key);
  if (!pending) {
    pending = makeTrainingCopy(store, hash, side).finally(() => making.delete(key));
    making.set(key, pending);
  }
  return pending;
}

/** Whether the store holds the copy at this size already. */
export function hasTrainingCopy(store: ImageStore, hash: string, side: number): Promise<boolean> {
  return store.has(trainingKey(hash, side));
}

async function makeTrainingCopy(store: ImageStore, hash: string, side: number): Promise<Buffer> {
  // Rejects with ImageNotFoundError when the original is gone too. The original passed ingest's checks once; the
  // byte limit is not applied again (it may have been raised since), the pixel limit still guards the decoder. The
  // decode makes a thumbnail as well, which is dropped: a few milliseconds, once per image and size.
  const original = await store.get(originalKey(hash));
  const decoded = await decodeImage(original, { trainingMaxSide: side, maxBytes: Number.MAX_SAFE_INTEGER, maxPixels: DEFAULT_DECODE_LIMITS.maxPixels });
  await store.put(trainingKey(hash, side), decoded.training);
  return decoded.training;
}
