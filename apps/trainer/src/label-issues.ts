// Possible label errors (issue 17, item 6), in the spirit of confident learning (Northcutt et al. 2021, cleanlab):
// every human-labelled image gets out-of-sample class probabilities (kNN on the quick head's feature rows, each fold
// predicted from the other folds, so no image votes for itself); each class j gets a threshold t_j, the mean
// probability of j over the images labelled j (how sure the model is of that class where people agree); an image
// labelled i whose probability of some other class j reaches t_j, j being the likeliest such class, is a likely error.
// The list goes to reviewers least self-confident first (the probability of the given label, lowest first).
import { knnNeighbours, knnVotes, tf } from "@fewlabel/ml";
import { knnProbabilities, stratifiedFolds } from "./quick-head";

export interface LabelIssueFound {
  /** Row of the labelled set. */
  row: number;
  given: number;
  suggested: number;
  selfConfidence: number;
  suggestedConfidence: number;
}

/** Per-class thresholds: the mean probability of class j over the rows labelled j (NaN for a class no row has). */
export function classThresholds(probabilities: Float32Array, labels: ArrayLike<number>, numClasses: number): Float64Array {
  const sum = new Float64Array(numClasses),
    count = new Float64Array(numClasses);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    sum[l] = sum[l]! + probabilities[i * numClasses + l]!;
    count[l] = count[l]! + 1;
  }
  return sum.map((s, j) => (count[j]! > 0 ? s / count[j]! : Number.NaN));
}

/** The confidently contradicted rows, least self-confident first, at most `limit`. */
export function findLabelIssues(probabilities: Float32Array, labels: ArrayLike<number>, numClasses: number, limit = 200): LabelIssueFound[] {
  const t = classThresholds(probabilities, labels, numClasses);
  const out: LabelIssueFound[] = [];
  for (let i = 0; i < labels.length; i++) {
    const p = probabilities.subarray(i * numClasses, (i + 1) * numClasses);
    let confident = -1;
    for (let j = 0; j < numClasses; j++) if (!Number.isNaN(t[j]!) && p[j]! >= t[j]! && (confident < 0 || p[j]! > p[confident]!)) confident = j;
    const given = labels[i]!;
    if (confident >= 0 && confident !== given) out.push({ row: i, given, suggested: confident, selfConfidence: p[given]!, suggestedConfidence: p[confident]! });
  }
  return out.sort((a, b) => a.selfConfidence - b.selfConfidence || a.row - b.row).slice(0, limit);
}

/** Out-of-fold kNN probabilities of every labelled row: each fold's rows from the other folds' labels. */
export async function outOfFoldProbabilities(features: tf.Tensor2D, labels: ArrayLike<number>, numClasses: number, k: number, folds = 5): Promise<Float32Array> {
  const n = labels.length;
  const out = new Float32Array(n * numClasses);
  const fold = stratifiedFolds(labels, Math.max(2, Math.min(folds, n)));
  for (let f = 0; f < Math.max(2, Math.min(folds, n)); f++) {
    const trainRows: number[] = [],
      testRows: number[] = [];
    for (let i = 0; i < n; i++) (fold[i] === f ? testRows : trainRows).push(i);
    if (testRows.length === 0 || trainRows.length === 0) continue;
    const [a, b] = tf.tidy(() => [tf.gather(features, tf.tensor1d(trainRows, "int32")) as tf.Tensor2D, tf.gather(features, tf.tensor1d(testRows, "int32")) as tf.Tensor2D]);
    try {
      const kk = Math.min(k, trainRows.length);
      const p = knnProbabilities(
        knnVotes(
          await knnNeighbours(a, b, { k: kk }),
          trainRows.map((i) => labels[i]!),
          numClasses,
          kk,
        ),
        numClasses,
      );
      testRows.forEach((row, j) => out.set(p.subarray(j * numClasses, (j + 1) * numClasses), row * numClasses));
    } finally {
      tf.dispose([a, b]);
    }
  }
  return out;
}
