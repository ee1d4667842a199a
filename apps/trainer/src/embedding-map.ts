// The embedding map (issue 17, item 4): a 2D picture of every image's encoder embedding, where images the encoder
// finds alike lie together, for people to look over, colour by label or suggestion, and lasso for bulk labelling.
//
// UMAP (McInnes et al. 2018; umap-js, the PAIR code library) keeps local neighbourhoods, which is what a lasso needs.
// Its cost grows faster than the image count (nearest-neighbour descent, then a layout optimised over every edge), so
// it is fitted on at most `fitMax` images drawn at random; every other image (and every image uploaded later) is placed
// at the similarity-weighted mean of its nearest fitted images, one matrix product per block on the tfjs backend.
// Coordinates are scaled to 0-1 once, from the fitted layout, so points placed later keep the same frame.
import { mulberry32, tf } from "@fewlabel/ml";
import { UMAP } from "umap-js";

export interface MapFitOptions {
  /** Most images UMAP lays out itself; the rest are placed by their neighbours (default 3,000). */
  fitMax?: number;
  nNeighbors?: number;
  minDist?: number;
  nEpochs?: number;
  seed?: number;
  /** Called between UMAP's epochs (the trainer renews its lease and answers its server meanwhile). */
  onEpoch?: (epoch: number, of: number) => void;
}

/** A fitted map: the fitted images' unit-length embeddings and their places, in the 0-1 frame. */
export interface FittedMap {
  dim: number;
  /** fitted x dim, each row of unit length. */
  unit: Float32Array;
  /** fitted x 2, in 0-1. */
  xy: Float32Array;
}

/** How many fitted neighbours place an image that was not fitted. */
const PLACE_K = 5;
const PLACE_BLOCK = 1024;

/** Each row scaled to unit length (zero rows stay zero): cosine geometry for the map and the clusters. */
export function unitRows(features: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(features.length);
  for (let r = 0; r < features.length / dim; r++) {
    let n = 0;
    for (let d = 0; d < dim; d++) n += features[r * dim + d]! ** 2;
    const s = n > 0 ? 1 / Math.sqrt(n) : 0;
    for (let d = 0; d < dim; d++) out[r * dim + d] = features[r * dim + d]! * s;
  }
  return out;
}

/** Scales a layout into 0-1 (a 5% margin each side), keeping its aspect ratio. */
function toUnitFrame(layout: number[][]): Float32Array {
  const xs = layout.map((p) => p[0]!);
  const ys = layout.map((p) => p[1]!);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const span = Math.max(x1 - x0, y1 - y0) || 1;
  const out = new Float32Array(layout.length * 2);
  layout.forEach((p, i) => {
    out[2 * i] = 0.05 + (0.9 * (p[0]! - x0 + (span - (x1 - x0)) / 2)) / span;
    out[2 * i + 1] = 0.05 + (0.9 * (p[1]! - y0 + (span - (y1 - y0)) / 2)) / span;
  });
  return out;
}

/**
 * Lays out `features` (n x dim, row-major) in 2D: UMAP on a random sample of at most `fitMax` rows (cosine distance,
 * as the encoder's embeddings are compared everywhere else), the rest placed by their fitted neighbours. Returns the
 * fitted map (to place later images) and every row's place.
 */
export async function fitEmbeddingMap(features: Float32Array, dim: number, options: MapFitOptions = {}): Promise<{ map: FittedMap; xy: Float32Array }> {
  const n = features.length / dim;
  const unit = unitRows(features, dim);
  if (n < 3) {
    // Too few to lay out: side by side.
    const xy = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) xy.set([n === 1 ? 0.5 : 0.25 + 0.5 * i, 0.5], 2 * i);
    return { map: { dim, unit, xy }, xy };
  }
  const random = mulberry32(options.seed ?? 1);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const fitRows = order.slice(0, Math.min(n, options.fitMax ?? 3000)).sort((a, b) => a - b);
  const data = fitRows.map((r) => Array.from(unit.subarray(r * dim, (r + 1) * dim)));
  const nEpochs = options.nEpochs ?? (fitRows.length > 2000 ? 200 : 400);
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors: Math.max(2, Math.min(options.nNeighbors ?? 15, fitRows.length - 1)),
    minDist: options.minDist ?? 0.1,
    nEpochs,
    random,
  });
  const layout = await umap.fitAsync(data, (epoch) => {
    options.onEpoch?.(epoch, nEpochs);
    return true;
  });
  const fitted: FittedMap = { dim, unit: new Float32Array(fitRows.length * dim), xy: toUnitFrame(layout) };
  fitRows.forEach((r, i) => fitted.unit.set(unit.subarray(r * dim, (r + 1) * dim), i * dim));
  const xy = new Float32Array(n * 2);
  fitRows.forEach((r, i) => xy.set(fitted.xy.subarray(2 * i, 2 * i + 2), 2 * r));
  const fittedSet = new Set(fitRows);
  const rest = order.filter((r) => !fittedSet.has(r));
  if (rest.length > 0) {
    const restUnit = new Float32Array(rest.length * dim);
    rest.forEach((r, i) => restUnit.set(unit.subarray(r * dim, (r + 1) * dim), i * dim));
    const placed = await placeOnMap(fitted, restUnit);
    rest.forEach((r, i) => xy.set(placed.subarray(2 * i, 2 * i + 2), 2 * r));
  }
  return { map: fitted, xy };
}

/**
 * Places embeddings (rows x dim; any length, they are normalised here) on a fitted map: each at the mean of its
 * PLACE_K most similar fitted images' places, weighted by similarity (an image the fit has seen lands on itself).
 */
export async function placeOnMap(map: FittedMap, features: Float32Array): Promise<Float32Array> {
  const rows = features.length / map.dim;
  const unit = unitRows(features, map.dim);
  const fittedCount = map.unit.length / map.dim;
  const k = Math.min(PLACE_K, fittedCount);
  const out = new Float32Array(rows * 2);
  const fittedT = tf.tensor2d(map.unit, [fittedCount, map.dim]);
  try {
    for (let start = 0; start < rows; start += PLACE_BLOCK) {
      const end = Math.min(rows, start + PLACE_BLOCK);
      const { values, indices } = tf.tidy(() => {
        const sims = tf.matMul(tf.tensor2d(unit.subarray(start * map.dim, end * map.dim), [end - start, map.dim]), fittedT, false, true);
        return tf.topk(sims, k);
      });
      const [v, ix] = await Promise.all([values.data(), indices.data()]);
      tf.dispose([values, indices]);
      for (let r = 0; r < end - start; r++) {
        let [wx, wy, w] = [0, 0, 0];
        for (let j = 0; j < k; j++) {
          // Similarities near 1 dominate; a negative one (an image unlike anything fitted) still counts a little.
          const weight = Math.max(1e-3, v[r * k + j]!) ** 4;
          const f = ix[r * k + j]!;
          wx += weight * map.xy[2 * f]!;
          wy += weight * map.xy[2 * f + 1]!;
          w += weight;
        }
        out[2 * (start + r)] = wx / w;
        out[2 * (start + r) + 1] = wy / w;
      }
    }
  } finally {
    fittedT.dispose();
  }
  return out;
}
