// Store keys: the one place that decides how an image's files are named, and the validation every store applies
// to a key before it touches a file system or bucket (no traversal, no absolute paths, no odd characters).
//
// Keys are sharded by the first byte of the hash (`originals/ab/abcd…`): 256 folders per kind, so a folder holds
// about 4,000 files per million images. (Two levels, 65,536 folders, cost a folder creation per image during the
// first tens of thousands of uploads, which dominated ingest of small images.)

import { LEGACY_TRAINING_COPY_SIDE } from "./training-copy-side";

export class InvalidKeyError extends Error {
  override readonly name = "InvalidKeyError";
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`invalid store key ${JSON.stringify(key.slice(0, 200))}: ${reason}`);
  }
}

const HASH_PATTERN = /^[0-9a-f]{64}$/;
// Each segment starts with a letter or digit (so "." / ".." / dotfiles are impossible) and uses a small alphabet.
const SEGMENT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const MAX_KEY_LENGTH = 512;

export function assertValidKey(key: string): void {
  if (typeof key !== "string" || key.length === 0) throw new InvalidKeyError(String(key), "empty");
  if (key.length > MAX_KEY_LENGTH) throw new InvalidKeyError(key, `longer than ${MAX_KEY_LENGTH} characters`);
  for (const segment of key.split("/")) {
    if (!SEGMENT_PATTERN.test(segment)) {
      throw new InvalidKeyError(key, `segment ${JSON.stringify(segment)} must match ${SEGMENT_PATTERN.source}`);
    }
  }
}

function shardedKey(kind: string, hash: string, suffix: string): string {
  if (!HASH_PATTERN.test(hash)) throw new InvalidKeyError(hash, "not a lowercase hex SHA-256");
  return `${kind}/${hash.slice(0, 2)}/${hash}${suffix}`;
}

/** The uploaded bytes exactly as received (format is recorded by the caller, not in the key). */
export function originalKey(hash: string): string {
  return shardedKey("originals", hash, "");
}

/** WebP preview that fits inside 256x256, for the labelling UI. */
export function thumbnailKey(hash: string): string {
  return shardedKey("thumbnails", hash, ".webp");
}

/**
 * Normalised PNG the trainer reads (auto-rotated, no alpha, sRGB or grayscale), at most `side` pixels on its longer
 * side: one folder per size, the 128 px copies where they were before sizes were a setting.
 */
export function trainingKey(hash: string, side: number): string {
  if (!Number.isInteger(side) || side < 1) throw new InvalidKeyError(String(side), "not a training copy size");
  return shardedKey(side === LEGACY_TRAINING_COPY_SIDE ? "training" : `training-${side}`, hash, ".png");
}
