// Writes one decoded image's three files to an ImageStore and returns the row the caller inserts into the
// database. The original is written last and checked first: content addressing means an image whose original
// exists was stored completely before, so re-uploads cost one existence check.
import type { DecodedImage } from "./decode-image";
import type { ImageStore } from "./image-store";
import { originalKey, thumbnailKey, trainingKey } from "./keys";
import type { ImageFormat } from "./sniff-image-format";

export interface StoredImage {
  hash: string;
  format: ImageFormat;
  width: number;
  height: number;
  byteSize: number;
  grayscale: boolean;
  originalKey: string;
  thumbnailKey: string;
  trainingKey: string;
  /** False when identical bytes were already stored (a duplicate upload). */
  isNew: boolean;
}

export async function storeDecodedImage(store: ImageStore, image: DecodedImage): Promise<StoredImage> {
  const keys = {
    originalKey: originalKey(image.hash),
    thumbnailKey: thumbnailKey(image.hash),
    trainingKey: trainingKey(image.hash, image.trainingSide),
  };
  const isNew = !(await store.has(keys.originalKey));
  if (isNew) {
    await Promise.all([store.put(keys.thumbnailKey, image.thumbnail), store.put(keys.trainingKey, image.training)]);
    await store.put(keys.originalKey, image.bytes);
  } else if (!(await store.has(keys.trainingKey))) {
    // Stored before under another training copy size: this one is made already, so keep it.
    await store.put(keys.trainingKey, image.training);
  }
  const { hash, format, width, height, grayscale } = image;
  return { hash, format, width, height, grayscale, byteSize: image.bytes.length, ...keys, isNew };
}
