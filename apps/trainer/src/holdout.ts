// Which human labels are held out for metrics. The split depends only on the image id (a hash), so it is stable as
// labels arrive and across trainer restarts: while labels only grow, an image once held out never trains again. (Before
// the held-out share reaches its minimum every label trains, and the versions of that time report no accuracy; the
// versions scored later start from the label-free encoder, so none of them has seen the labels it is scored on.)
import { createHash } from "node:crypto";

export const HOLDOUT_EVERY = 5;

export function isHeldOut(imageId: string): boolean {
  return createHash("sha256").update(imageId).digest()[0]! % HOLDOUT_EVERY === 0;
}

export interface LabelledImage {
  id: string;
  labelClassId: string | null;
  labelSource: string | null;
}

/**
 * Splits labelled images into training and held-out sets. Only human labels (labelled in the UI or imported) are
 * held out, and only once there are `minForHoldout` of them and the held-out share would reach `minHeldOut` (below
 * it a version reports no accuracy, VersionScorer): labels held out but never scored would only be taken from
 * training. With 30 labels a fifth held out left 23 to train on while the baselines of bench:loop had all 30, and every
 * served version fell below pixel logistic regression. Accepted model suggestions always train.
 */
export function splitLabels<T extends LabelledImage>(images: T[], minForHoldout: number, minHeldOut = 1): { train: T[]; heldOut: T[] } {
  const labelled = images.filter((i) => i.labelClassId !== null);
  const human = labelled.filter((i) => i.labelSource === "HUMAN" || i.labelSource === "IMPORT");
  if (human.length < minForHoldout) return { train: labelled, heldOut: [] };
  const heldOut = human.filter((i) => isHeldOut(i.id));
  if (heldOut.length < Math.max(1, minHeldOut)) return { train: labelled, heldOut: [] };
  const held = new Set(heldOut.map((i) => i.id));
  return { train: labelled.filter((i) => !held.has(i.id)), heldOut };
}
