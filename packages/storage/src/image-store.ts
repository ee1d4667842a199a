// The storage contract the api and trainer code against: a flat key -> bytes map. LocalImageStore implements it on
// a folder; an S3-compatible store can implement the same five methods later.
import type { Readable } from "node:stream";

export interface ImageStore {
  /** Writes the whole value or nothing: readers never see a partial file. Overwrites an existing key. */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /**
   * Writes a stream as it arrives (never whole in memory), all or nothing like put; rejects with SizeLimitError, and
   * stores nothing, once it passes maxBytes. Resolves with the bytes written.
   */
  putStream(key: string, source: AsyncIterable<Uint8Array>, maxBytes: number): Promise<number>;
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

export class SizeLimitError extends Error {
  constructor(readonly maxBytes: number) {
    super(`larger than ${maxBytes} bytes`);
    this.name = "SizeLimitError";
  }
}
