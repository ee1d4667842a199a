// How large the training copies are: the longest side of the PNG the server keeps of every image for trainers (aspect
// ratio kept, never enlarged). Large enough by default for a 224 px model's crops; FEWLABEL_TRAINING_COPY_SIZE
// changes it (smaller saves disk and download time where models stay small). Copies of another size are made from
// the originals when first asked for (getTrainingCopy) and ahead of time by the web server's backfill.

export const DEFAULT_TRAINING_COPY_SIDE = 256;
/** Copies of this size keep the store keys they had before the size was a setting (`training/ab/<hash>.png`). */
export const LEGACY_TRAINING_COPY_SIDE = 128;
export const MIN_TRAINING_COPY_SIDE = 32;
export const MAX_TRAINING_COPY_SIDE = 1024;

/** The configured side, or an error naming the setting. */
export function trainingCopySide(env: Record<string, string | undefined> = process.env): number {
  const raw = env.FEWLABEL_TRAINING_COPY_SIZE?.trim();
  if (!raw) return DEFAULT_TRAINING_COPY_SIDE;
  const side = Number(raw);
  if (!Number.isInteger(side) || side < MIN_TRAINING_COPY_SIDE || side > MAX_TRAINING_COPY_SIDE) {
    throw new Error(`FEWLABEL_TRAINING_COPY_SIZE=${JSON.stringify(raw)}: expected a whole number of pixels from ${MIN_TRAINING_COPY_SIDE} to ${MAX_TRAINING_COPY_SIDE}`);
  }
  return side;
}

/**
 * Names how the server's training copies are made (format, size limit, code version). A trainer may keep the copies
 * it downloaded under (the original's content hash, this name): the same original makes the same copy. Change the
 * version when the code that makes training copies changes what it makes.
 */
export function trainingCopyFormat(side: number): string {
  return `png-max${side}-v1`;
}
