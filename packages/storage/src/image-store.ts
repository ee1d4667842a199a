// The storage contract the api and trainer code against: a flat key -> bytes map. LocalImageStore implements it on
// a folder; an S3-compatible store can implement the same five methods later.
import type { Readable } from "node:stream";

export interface ImageStore {
  /** Writes the whole value or nothing: readers never see a partial file. Overwrites an existing key. */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** Rejects with ImageNotFoundError when the key is absent. */
  get(key: string): Promise<Buffer>;
  /** The stream errors with ImageNotFoundError when the key is absent. */
  createReadStream(key: string): Readable;
  has(key: string): Promise<boolean>;
  /** Deleting an absent key is not an error. */
  delete(key: string): Promise<void>;
}

export class ImageNotFoundError extends Error {
  override readonly name = "ImageNotFoundError";
  readonly code = "not_found";
  constructor(readonly key: string) {
    super(`no stored object for key ${JSON.stringify(key)}`);
  }
}
