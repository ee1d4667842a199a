// k-means clusters of the encoder's embeddings, for the DIVERSE work order (issue 17, item 5): annotators are sent to
// the cluster whose images are least labelled, and within it to the image the model is least sure of, so labels
// spread over what the encoder sees as different kinds of image instead of piling up where the model is unsure.
// Cosine geometry (rows normalised), k-means++ seeding, Lloyd's iterations as matrix products on the tfjs backend.
import { mulberry32, tf } from "@fewlabel/ml";
import { unitRows } from "./embedding-map";

/** How many clusters a project of n images gets: about sqrt(n / 2), from 2 to 100. */
export function clusterCount(n: number): number {
  return Math.max(2, Math.min(100, Math.round(Math.sqrt(n / 2))));
}

/** The index of each row's most similar centre (cosine), in blocks. */
async function nearestCentre(unit: Float32Array, dim: number, centres: Float32Array): Promise<Int32Array> {
  const n = unit.length / dim;
  const out = new Int32Array(n);
  const c = tf.tensor2d(centres, [centres.length / dim, dim]);
  try {
    for (let start = 0; start < n; start += 4096) {
      const end = Math.min(n, start + 4096);
      const best = tf.tidy(() => tf.argMax(tf.matMul(tf.tensor2d(unit.subarray(start * dim, end * dim), [end - start, dim]), c, false, true), 1));
      out.set(await best.data(), start);
      best.dispose();
    }
  } finally {
    c.dispose();
  }
  return out;
}

export interface Clusters {
  /** k x dim, unit rows. */
  centres: Float32Array;
  /** Each row's cluster. */
  assignment: Int32Array;
}

/** k-means (cosine) of `features` (rows x dim): k-means++ seeds, then at most `iterations` of Lloyd's. */
export async function kMeans(features: Float32Array, dim: number, k: number, seed = 1, iterations = 15): Promise<Clusters> {
  const n = features.length / dim;
  const unit = unitRows(features, dim);
  k = Math.max(1, Math.min(k, n));
  const random = mulberry32(seed);
  // k-means++: each next seed drawn with probability proportional to its distance from the nearest seed so far.
  const centres = new Float32Array(k * dim);
  const far = new Float64Array(n).fill(Infinity);
  let pick = Math.floor(random() * n);
  for (let c = 0; c < k; c++) {
    centres.set(unit.subarray(pick * dim, (pick + 1) * dim), c * dim);
    let total = 0;
    for (let r = 0; r < n; r++) {
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += unit[r * dim + d]! * centres[c * dim + d]!;
      far[r] = Math.min(far[r]!, Math.max(0, 1 - dot));
      total += far[r]!;
    }
    let target = random() * total;
    pick = n - 1;
    for (let r = 0; r < n; r++) {
      target -= far[r]!;
      if (target <= 0) {
        pick = r;
        break;
      }
    }
  }
  let assignment = await nearestCentre(unit, dim, centres);
  for (let it = 0; it < iterations; it++) {
    const sums = new Float64Array(k * dim);
    const counts = new Int32Array(k);
    for (let r = 0; r < n; r++) {
      const a = assignment[r]!;
      counts[a]!++;
      for (let d = 0; d < dim; d++) sums[a * dim + d]! += unit[r * dim + d]!;
    }
    for (let c = 0; c < k; c++) {
      // An emptied cluster keeps its centre.
      if (counts[c] === 0) continue;
      let s = 0;
      for (let d = 0; d < dim; d++) s += sums[c * dim + d]! ** 2;
      const norm = Math.sqrt(s) || 1;
      for (let d = 0; d < dim; d++) centres[c * dim + d] = sums[c * dim + d]! / norm;
    }
    const next = await nearestCentre(unit, dim, centres);
    const moved = next.some((v, r) => v !== assignment[r]);
    assignment = next;
    if (!moved) break;
  }
  return { centres, assignment };
}

/** The clusters of later rows (images uploaded after the clusters were made): each its most similar centre. */
export function assignToClusters(clusters: Clusters, features: Float32Array, dim: number): Promise<Int32Array> {
  return nearestCentre(unitRows(features, dim), dim, clusters.centres);
}
