// The pure parts of `npm run bench:loop` (tested in apps/web/test/bench-loop.test.ts): which uploaded images carry a
// label and where each one sits in the zip, and what a timeline of published versions says at a given time.
import { stratifiedLabelSubset } from "@fewlabel/experiments/split";

/**
 * A class name as a folder of the zip: the product takes the folder that holds a file as its label, so a "/" in a
 * name (Fashion-MNIST's "T-shirt/top") would nest folders. The project's classes are created under these names.
 */
export function classFolderName(name: string): string {
  return name.replace(/[\\/]+/g, "-").trim();
}

/** The zip's file name for training image `i` (the same name whether it is labelled or not). */
export const imageFileName = (i: number): string => `fashion-mnist-${String(i).padStart(5, "0")}.png`;

export interface ZipEntryPlan {
  /** Index into the training split. */
  index: number;
  /** `<class folder>/<file>` for a labelled image, `<file>` at the root for an unlabelled one. */
  path: string;
  labelled: boolean;
}

/**
 * Every one of the `labels.length` training images, in order, as a zip entry: a stratified, seeded `fraction` of
 * each class inside its class folder (labelled by folder), the rest at the root (unlabelled).
 */
export function zipLayout(labels: ArrayLike<number>, classNames: readonly string[], fraction: number, seed: number): ZipEntryPlan[] {
  const labelled = new Set(fraction > 0 ? stratifiedLabelSubset(labels, fraction, seed) : []);
  return Array.from({ length: labels.length }, (_, index) => {
    const isLabelled = labelled.has(index);
    const file = imageFileName(index);
    return { index, labelled: isLabelled, path: isLabelled ? `${classFolderName(classNames[labels[index]!]!)}/${file}` : file };
  });
}

/** The test accuracy (percent) of one exported model, or null when it could not be scored. */
export interface ScoredModel {
  testAccuracy: number | null;
  /** How the test images were fed to it: the export's preprocess.js, or a resize as metadata.json says. */
  preprocessing?: string;
  error?: string;
}

export interface TimelineEntry {
  /** Seconds after the upload finished (t0) at which the version was published. */
  seconds: number;
  version: number;
  stage: string;
  /** The product's own held-out accuracy in percent (null when it reports none). */
  heldOutAccuracy: number | null;
  /** Held-out labels it was measured on (or, without an accuracy, how many there were). */
  heldOut: number | null;
  /** What the product measured: "classifier", "knn", "linear" (with the few-label head it chose, when it says). */
  method?: string;
  /** The product's 95% interval of its held-out accuracy and its own baselines on the same held-out labels (percent). */
  interval?: { low: number; high: number };
  productBaselines?: Record<string, number>;
  teacher?: ScoredModel;
  student?: ScoredModel;
}

/**
 * "At T": the test accuracy of the newest `kind` (by version) published no later than `seconds` after t0; null when
 * none was, or when T lies beyond what was watched (`watchedSeconds`), where the timeline cannot tell.
 */
export function accuracyAt(timeline: readonly TimelineEntry[], kind: "teacher" | "student", seconds: number, watchedSeconds: number): number | null {
  if (seconds > watchedSeconds) return null;
  let newest: TimelineEntry | undefined;
  for (const e of timeline) {
    if (e[kind] && e.seconds <= seconds && (!newest || e.version > newest.version)) newest = e;
  }
  return newest?.[kind]?.testAccuracy ?? null;
}
