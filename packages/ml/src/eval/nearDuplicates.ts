// Near-duplicate images (issue 17, item 3): the same picture resized, re-encoded, cropped by a few pixels or made
// lighter or darker. Two passes, because comparing every pair closely is quadratic:
//   1. candidates: each image's 8x8 thumbnail (mean removed, unit length; and its five 88% windows, so a copy cropped
//      at one side still finds its source) against every image's whole thumbnail, one matrix product per block, the
//      few most alike kept; optionally also each image's nearest neighbours by encoder embedding;
//   2. verification: the larger image of a candidate pair resampled onto the smaller one's grid (at most 32 px a side)
//      through a window that coordinate ascent moves edge by edge (from every placement of a crop; 2, 1, then half a
//      pixel), scored by normalised cross-correlation of luma over the pixels neither image clips at black or white
//      (a brightness shift that saturates some pixels still correlates fully), at two levels of detail (the smaller
//      image's resolution, and 3/4 of it); an enlarged copy is compared with the smaller one sent through the same
//      round trip.
// A pair whose two correlations meet the rule is a near-duplicate, unless one of its images meets it with more than
// MAX_PARTNERS others (a plain picture, not a copy); pairs join into groups, most similar first, except where the
// two groups hold images the verifier aligned and rejected (duplicateGroups: no chains through a blurred copy). On
// small, uniform images (Fashion-MNIST: trousers on black) different items can correlate above 0.98: hence the high
// thresholds, the fine level, and the partners rule.
import { tf } from "../tf.js";
import { cropPixels, type Pixels } from "../preprocess/preprocess.js";
import { eventLoopTurns } from "../util/eventLoopTurns.js";

export interface NearDuplicateOptions {
  /** What a verified pair's similarities must reach (DEFAULT_DUPLICATE_RULE). */
  rule?: DuplicateRule;
  /** Candidates kept per query thumbnail (default 4). */
  candidatesPerQuery?: number;
  /** Thumbnail similarity below which a candidate is not verified (default 0.8). */
  candidateFloor?: number;
  /** Encoder embeddings (rows x dim, the images' order): their nearest neighbours are candidates too. */
  embeddings?: { features: Float32Array; dim: number; neighbours?: number };
  /** A pair's similarity when it was verified before (the same two images): not verified again. */
  known?: (a: number, b: number) => PairSimilarity | undefined;
}

export interface DuplicatePair {
  a: number;
  b: number;
  similarity: number;
}

export interface DuplicateGroup {
  /** Indices into the images, ascending. */
  members: number[];
  /** The lowest verified similarity among the pairs that joined the group. */
  similarity: number;
}

const THUMB = 8;
const COMPARE_SIDE = 32;
/** Windows (top, left, bottom, right, in fractions) whose thumbnails look for a source of which this is a crop. */
const WINDOWS: [number, number, number, number][] = [
  [0, 0, 1, 1],
  [0, 0, 0.88, 0.88],
  [0, 0.12, 0.88, 1],
  [0.12, 0, 1, 0.88],
  [0.12, 0.12, 1, 1],
  [0.06, 0.06, 0.94, 0.94],
];
const BLOCK = 2048;

function luma(r: { data: Float32Array; channels: 1 | 3 }): Float32Array {
  if (r.channels === 1) return r.data;
  const out = new Float32Array(r.data.length / 3);
  for (let i = 0; i < out.length; i++) out[i] = 0.299 * r.data[3 * i]! + 0.587 * r.data[3 * i + 1]! + 0.114 * r.data[3 * i + 2]!;
  return out;
}

/** The window [top, left, bottom, right] (fractions) of an image as luma 0-1 at w x h. */
function lumaWindow(image: Pixels, box: readonly number[], w: number, h: number): Float32Array {
  return luma(cropPixels(image, box, w, h));
}

function centreAndNormalise(v: Float32Array): Float32Array {
  let mean = 0;
  for (const x of v) mean += x;
  mean /= v.length;
  let norm = 0;
  for (let i = 0; i < v.length; i++) {
    v[i]! -= mean;
    norm += v[i]! ** 2;
  }
  const s = norm > 1e-12 ? 1 / Math.sqrt(norm) : 0;
  for (let i = 0; i < v.length; i++) v[i]! *= s;
  return v;
}

/** Correlation of two luma grids over the pixels neither clips (both strictly inside 1/255-254/255), or all of them when few are left. */
export function maskedCorrelation(a: Float32Array, b: Float32Array): number {
  const lo = 1.5 / 255,
    hi = 253.5 / 255;
  let n = 0,
    sa = 0,
    sb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!,
      y = b[i]!;
    if (x > lo && x < hi && y > lo && y < hi) {
      n++;
      sa += x;
      sb += y;
    }
  }
  const masked = n >= 0.25 * a.length;
  if (!masked) {
    n = a.length;
    sa = sb = 0;
    for (let i = 0; i < a.length; i++) {
      sa += a[i]!;
      sb += b[i]!;
    }
  }
  const ma = sa / n,
    mb = sb / n;
  let xy = 0,
    xx = 0,
    yy = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!,
      y = b[i]!;
    if (masked && !(x > lo && x < hi && y > lo && y < hi)) continue;
    xy += (x - ma) * (y - mb);
    xx += (x - ma) ** 2;
    yy += (y - mb) ** 2;
  }
  return xx > 1e-12 && yy > 1e-12 ? xy / Math.sqrt(xx * yy) : 0;
}

export interface PairSimilarity {
  /** Correlation on a grid of 3/4 the smaller image's resolution (at most 32 px): resampling differences mostly gone. */
  coarse: number;
  /** Correlation at the smaller image's full resolution (at most 32 px), where different pictures differ in detail. */
  fine: number;
}

/**
 * How alike two images are as pictures (correlations, 0-1): the larger resampled onto the smaller's grid through the
 * window of it that matches best (up to `maxCrop` of each side cropped, edges moved by coordinate ascent), at two
 * levels of detail. A resized copy loses fine detail to the resamplers but keeps everything coarse; two different
 * items alike in shape (two plain trousers) differ in their fine detail: both levels are needed to tell them apart.
 */
export function alignedSimilarity(first: Pixels, second: Pixels, maxCrop = 0.12): PairSimilarity {
  const [small, large] = first.width * first.height <= second.width * second.height ? [first, second] : [second, first];
  const plain = alignedOnto(small, small, large, maxCrop);
  // A larger copy may be an enlargement, blurred by its resampler: then the smaller one goes through the same round
  // trip (up to the larger's size, then down to the grid) so that both lose the same detail. A few pixels more could
  // as well be a crop, so both are tried.
  if (large.width > 1.1 * small.width && large.height > 1.1 * small.height && plain.fine < 0.999) {
    const enlarged = alignedOnto(roundTrip(small, large.width, large.height), small, large, maxCrop);
    if (enlarged.coarse + enlarged.fine > plain.coarse + plain.fine) return enlarged;
  }
  return plain;
}

/** alignedSimilarity for one version of the smaller image (`target`; `small` gives its own size). */
function alignedOnto(target: Pixels, small: Pixels, large: Pixels, maxCrop: number): PairSimilarity {
  // The fine grid: the smaller image's own resolution (at most COMPARE_SIDE). The coarse one is made from the fine one,
  // both sides through the same last resampling, so that the coarse level only removes detail and never adds a
  // difference of its own.
  const fineScale = Math.min(1, COMPARE_SIDE / Math.max(small.width, small.height));
  const [fw, fh] = [Math.max(2, Math.round(small.width * fineScale)), Math.max(2, Math.round(small.height * fineScale))];
  const [cw, ch] = [Math.max(2, Math.round(fw * 0.75)), Math.max(2, Math.round(fh * 0.75))];
  const coarsen = (v: Float32Array) => lumaWindow({ data: Uint8ClampedArray.from(v, (x) => x * 255), width: fw, height: fh, channels: 1 }, [0, 0, 1, 1], cw, ch);
  const grid = (detail: number) => {
    const fineRef = lumaWindow(target, [0, 0, 1, 1], fw, fh);
    if (detail >= 1) return (box: readonly number[]) => maskedCorrelation(lumaWindow(large, box, fw, fh), fineRef);
    const coarseRef = coarsen(fineRef);
    return (box: readonly number[]) => maskedCorrelation(coarsen(lumaWindow(large, box, fw, fh)), coarseRef);
  };
  // Edges in fractions of the large image: top, left, bottom, right; a side moves inwards at most 2 x maxCrop (a copy
  // cropped at one side only).
  const ascend = (score: (box: readonly number[]) => number, start: number[], steps: number[]) => {
    let [box, best] = [start, score(start)];
    for (const step of steps) {
      for (let improved = true, rounds = 0; improved && rounds < 12; rounds++) {
        improved = false;
        for (let edge = 0; edge < 4; edge++) {
          for (const dir of [1, -1]) {
            const next = [...box];
            next[edge] = edge < 2 ? Math.min(2 * maxCrop, Math.max(0, box[edge]! + dir * step)) : Math.max(1 - 2 * maxCrop, Math.min(1, box[edge]! - dir * step));
            if (next[edge] === box[edge]) continue;
            const s = score(next);
            if (s > best + 1e-6) [best, box, improved] = [s, next, true];
          }
        }
      }
    }
    return { box, best };
  };
  const px = 1 / Math.max(large.width, large.height);
  const coarseScore = grid(0.75);
  // A crop keeps the pixels' scale: when the smaller fits inside the larger, every placement of it is a start.
  const starts: number[][] = [[0, 0, 1, 1]];
  const [dx, dy] = [large.width - small.width, large.height - small.height];
  if (dx >= 0 && dy >= 0 && dx + dy > 0 && dx <= maxCrop * 2 * large.width && dy <= maxCrop * 2 * large.height && (dx + 1) * (dy + 1) <= 121) {
    for (let y = 0; y <= dy; y++) for (let x = 0; x <= dx; x++) starts.push([y / large.height, x / large.width, (y + small.height) / large.height, (x + small.width) / large.width]);
  }
  const start = starts.map((b) => ({ b, s: coarseScore(b) })).sort((x, y) => y.s - x.s)[0]!;
  // Far apart at every start (most candidates): not worth the search. Copies start above 0.93 here.
  if (start.s < 0.85) return { coarse: start.s, fine: start.s };
  const coarse = ascend(coarseScore, start.b, [2 * px, px]);
  // Not alike even coarsely: no need to look closer.
  if (coarse.best < 0.9) return { coarse: coarse.best, fine: coarse.best };
  const fine = ascend(grid(1), coarse.box, [px, 0.5 * px]);
  return { coarse: coarse.best, fine: fine.best };
}

/** The image resampled to w x h and back to its own size, as 8-bit luma: what an enlargement keeps of it. */
function roundTrip(image: Pixels, w: number, h: number): Pixels {
  const up = lumaWindow(image, [0, 0, 1, 1], w, h);
  const upPixels = { data: Uint8ClampedArray.from(up, (v) => v * 255), width: w, height: h, channels: 1 };
  const back = lumaWindow(upPixels, [0, 0, 1, 1], image.width, image.height);
  return { data: Uint8ClampedArray.from(back, (v) => v * 255), width: image.width, height: image.height, channels: 1 };
}

/** Similarities of two copies of one picture that differ by little more than rounding. */
const NEAR_IDENTICAL = 0.995;

/** The rule a pair's two similarities must meet to be a near-duplicate. */
export interface DuplicateRule {
  coarse: number;
  fine: number;
}
/**
 * Chosen on `npm run bench:duplicates` (Fashion-MNIST, the development set, where different items can correlate above
 * 0.98): the printed grid of rules shows what each trades. Photos, with more detail, separate more easily.
 */
export const DEFAULT_DUPLICATE_RULE: DuplicateRule = { coarse: 0.98, fine: 0.97 };

/**
 * A pair meets the rule at both levels, or is all but identical at full detail (fine at least NEAR_IDENTICAL): a
 * copy made lighter or darker correlates fully where neither image clips, but the coarse level resamples clipped
 * pixels into their neighbours, where the mask can no longer find them (bench:duplicates: such copies read fine 1.000
 * and coarse 0.93-0.976, no different pictures read fine above 0.99).
 */
export const isNearDuplicate = (s: PairSimilarity, rule: DuplicateRule = DEFAULT_DUPLICATE_RULE): boolean => s.fine >= NEAR_IDENTICAL || (s.coarse >= rule.coarse && s.fine >= rule.fine);

/** Pairs (i < j) whose thumbnails (or embeddings) are among each other's most alike. */
async function candidatePairs(
  images: readonly Pixels[],
  o: Required<Pick<NearDuplicateOptions, "candidatesPerQuery" | "candidateFloor">> & Pick<NearDuplicateOptions, "embeddings">,
): Promise<Set<number>> {
  const n = images.length;
  const d = THUMB * THUMB;
  const queries = new Float32Array(n * WINDOWS.length * d);
  const keys = new Float32Array(n * d);
  const turn = eventLoopTurns();
  for (let i = 0; i < n; i++) {
    await turn();
    WINDOWS.forEach((box, k) => {
      const v = centreAndNormalise(lumaWindow(images[i]!, box, THUMB, THUMB));
      queries.set(v, (i * WINDOWS.length + k) * d);
      if (k === 0) keys.set(v, i * d);
    });
  }
  const pairs = new Set<number>();
  const add = (i: number, j: number) => {
    if (i !== j) pairs.add(Math.min(i, j) * n + Math.max(i, j));
  };
  const topPairs = async (q: Float32Array, qRows: number, qDim: number, rowOf: (r: number) => number, k: Float32Array, kRows: number, take: number, floor: number) => {
    const keysT = tf.tensor2d(k, [kRows, qDim]);
    try {
      for (let start = 0; start < qRows; start += BLOCK) {
        await turn();
        const end = Math.min(qRows, start + BLOCK);
        const { values, indices } = tf.tidy(() => tf.topk(tf.matMul(tf.tensor2d(q.subarray(start * qDim, end * qDim), [end - start, qDim]), keysT, false, true), Math.min(kRows, take + 1)));
        const [v, ix] = await Promise.all([values.data(), indices.data()]);
        tf.dispose([values, indices]);
        const width = Math.min(kRows, take + 1);
        for (let r = 0; r < end - start; r++) {
          for (let c = 0; c < width; c++) if (v[r * width + c]! >= floor) add(rowOf(start + r), ix[r * width + c]!);
        }
      }
    } finally {
      keysT.dispose();
    }
  };
  await topPairs(queries, n * WINDOWS.length, d, (r) => Math.floor(r / WINDOWS.length), keys, n, o.candidatesPerQuery, o.candidateFloor);
  await cropCandidates(images, o.candidatesPerQuery, Math.max(o.candidateFloor, CROP_FLOOR), add);
  if (o.embeddings) {
    const { features, dim, neighbours = 5 } = o.embeddings;
    const unit = new Float32Array(features.length);
    for (let r = 0; r < n; r++) unit.set(centreAndNormalise(Float32Array.from(features.subarray(r * dim, (r + 1) * dim))), r * dim);
    await topPairs(unit, n, dim, (r) => r, unit, n, neighbours, -1);
  }
  return pairs;
}

/** Luma of an image at its own resolution as a summed-area table, (height + 1) x (width + 1). */
function lumaIntegral(image: Pixels): Float64Array {
  const { width: w, height: h } = image;
  const y = lumaWindow(image, [0, 0, 1, 1], w, h);
  const sat = new Float64Array((w + 1) * (h + 1));
  for (let r = 0; r < h; r++) {
    let row = 0;
    for (let c = 0; c < w; c++) {
      row += y[r * w + c]!;
      sat[(r + 1) * (w + 1) + c + 1] = sat[r * (w + 1) + c + 1]! + row;
    }
  }
  return sat;
}

/**
 * THUMB x THUMB thumbnails of ww x wh pixel windows by box averaging over an image's summed-area table (`stride` =
 * width + 1), centred and unit length. Cell edges fall between pixels, where the table is interpolated bilinearly
 * (exact for box sums); windows at whole-pixel placements share the edges' fractions, so these are worked out once.
 */
function boxThumbnails(ww: number, wh: number): (sat: Float64Array, stride: number, x: number, y: number, out: Float32Array) => Float32Array {
  const edges = (size: number) => {
    const at = Array.from({ length: THUMB + 1 }, (_, k) => (size * k) / THUMB);
    return { whole: Int32Array.from(at, Math.floor), frac: Float64Array.from(at, (e) => e - Math.floor(e)) };
  };
  const [ex, ey] = [edges(ww), edges(wh)];
  const corners = new Float64Array((THUMB + 1) * (THUMB + 1));
  return (sat, stride, x, y, out) => {
    for (let l = 0; l <= THUMB; l++) {
      const y0 = y + ey.whole[l]!,
        v = ey.frac[l]!;
      const row0 = y0 * stride,
        row1 = v > 0 ? row0 + stride : row0;
      for (let k = 0; k <= THUMB; k++) {
        const x0 = x + ex.whole[k]!,
          u = ex.frac[k]!;
        const x1 = u > 0 ? x0 + 1 : x0;
        corners[l * (THUMB + 1) + k] = (1 - v) * ((1 - u) * sat[row0 + x0]! + u * sat[row0 + x1]!) + v * ((1 - u) * sat[row1 + x0]! + u * sat[row1 + x1]!);
      }
    }
    const s = THUMB + 1;
    for (let r = 0; r < THUMB; r++) for (let c = 0; c < THUMB; c++) out[r * THUMB + c] = corners[(r + 1) * s + c + 1]! - corners[(r + 1) * s + c]! - corners[r * s + c + 1]! + corners[r * s + c]!;
    return centreAndNormalise(out);
  };
}

/** A crop smaller than this share of a side (at most 121 placements, as the verifier's search) is looked for. */
const MAX_CROP_CANDIDATE = 0.12;
const MAX_PLACEMENTS = 121;
/**
 * A crop at its placement matches its source's window almost exactly (box thumbnails on both sides), so its candidates
 * need more than the fixed windows' floor: each costs a verification over every placement (bench:duplicates, seed
 * 11: at 0.8, 12,797 more candidates and minutes more; at 0.97, 1,440, every planted crop among them).
 */
const CROP_FLOOR = 0.97;
/** Thumbnail comparisons (placements x images of the window's size) one image may spend looking for its crops. */
const MAX_CROP_WORK = 20_000;

/**
 * Candidates for copies cropped at the same scale (a few pixels off some sides), which the fixed windows miss when
 * the crop is large for the image (3 px of 28 at two opposite sides; bench:duplicates, seed 11: 19 of 125 crops were
 * no candidate). A crop keeps the pixels' scale, so it has the size of a window of its source: every image is compared,
 * at every placement, with the images whose size is such a window of it (at most 2 x MAX_CROP_CANDIDATE smaller a
 * side), thumbnails by box averaging on both sides; the `take` best above `floor` over all those sizes are candidates.
 * Images of one size among themselves are the fixed windows' work.
 */
async function cropCandidates(images: readonly Pixels[], take: number, floor: number, add: (i: number, j: number) => void): Promise<void> {
  const turn = eventLoopTurns();
  const d = THUMB * THUMB;
  const bySize = new Map<string, { w: number; h: number; members: number[]; keys: Float32Array | null; thumbnail: ReturnType<typeof boxThumbnails> }>();
  images.forEach(({ width: w, height: h }, i) => {
    const size = bySize.get(`${w}x${h}`);
    if (size) size.members.push(i);
    else bySize.set(`${w}x${h}`, { w, h, members: [i], keys: null, thumbnail: boxThumbnails(w, h) });
  });
  const sizes = [...bySize.values()];
  const integrals = new Map<number, Float64Array>();
  const integral = (i: number) => {
    let sat = integrals.get(i);
    if (!sat) integrals.set(i, (sat = lumaIntegral(images[i]!)));
    return sat;
  };
  const keysOf = (size: (typeof sizes)[number]) => {
    if (!size.keys) {
      size.keys = new Float32Array(size.members.length * d);
      size.members.forEach((m, k) => size.thumbnail(integral(m), size.w + 1, 0, 0, size.keys!.subarray(k * d, (k + 1) * d)));
    }
    return size.keys;
  };
  const thumb = new Float32Array(d);
  for (let i = 0; i < images.length; i++) {
    await turn();
    const { width: w, height: h } = images[i]!;
    const smaller = sizes.filter(
      (s) => s.w <= w && s.h <= h && (s.w < w || s.h < h) && w - s.w <= 2 * MAX_CROP_CANDIDATE * w && h - s.h <= 2 * MAX_CROP_CANDIDATE * h && (w - s.w + 1) * (h - s.h + 1) <= MAX_PLACEMENTS,
    );
    if (smaller.length === 0) continue;
    const sat = integral(i);
    const found: [number, number][] = [];
    // The slightest crops first, while the comparisons fit MAX_CROP_WORK: a project of many sizes near each other
    // (photos of every aspect ratio) would otherwise compare each image with most of the others at every placement.
    smaller.sort((a, b) => w - a.w + h - a.h - (w - b.w + h - b.h) || a.w - b.w || a.h - b.h);
    let work = 0;
    for (const size of smaller) {
      work += (w - size.w + 1) * (h - size.h + 1) * size.members.length;
      if (work > MAX_CROP_WORK) break;
      const keys = keysOf(size);
      const best = new Float32Array(size.members.length).fill(-1);
      for (let y = 0; y <= h - size.h; y++) {
        for (let x = 0; x <= w - size.w; x++) {
          size.thumbnail(sat, w + 1, x, y, thumb);
          for (let k = 0; k < size.members.length; k++) {
            let dot = 0;
            for (let e = 0, o = k * d; e < d; e++) dot += thumb[e]! * keys[o + e]!;
            if (dot > best[k]!) best[k] = dot;
          }
        }
      }
      best.forEach((v, k) => v >= floor && found.push([v, size.members[k]!]));
    }
    // The best few over every size: as many candidates per image as a fixed window gives.
    for (const [, j] of found.sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, take)) add(i, j);
  }
}

/** Every candidate pair (i < j) with its two similarities (alignedSimilarity), in pair order. */
export async function scoreDuplicateCandidates(images: readonly Pixels[], options: NearDuplicateOptions = {}): Promise<(PairSimilarity & { a: number; b: number })[]> {
  const candidates = await candidatePairs(images, { candidatesPerQuery: options.candidatesPerQuery ?? 4, candidateFloor: options.candidateFloor ?? 0.8, embeddings: options.embeddings });
  const n = images.length;
  const turn = eventLoopTurns();
  const scored: (PairSimilarity & { a: number; b: number })[] = [];
  for (const key of [...candidates].sort((x, y) => x - y)) {
    await turn();
    const a = Math.floor(key / n),
      b = key % n;
    scored.push({ a, b, ...(options.known?.(a, b) ?? alignedSimilarity(images[a]!, images[b]!)) });
  }
  return scored;
}

/**
 * An image that passes the rule with more than this many others is a plain picture (a trouser on black, a blank
 * page), not a copied one: its pairs are dropped unless they are all but identical (NEAR_IDENTICAL). Copies come one
 * or two at a time; chains of plain pictures joined by union-find would make groups of dozens.
 */
export const MAX_PARTNERS = 3;

/** The scored pairs that are near-duplicates: the rule, then plain pictures' pairs left out (MAX_PARTNERS). */
export function acceptedPairs(scored: readonly (PairSimilarity & { a: number; b: number })[], rule: DuplicateRule = DEFAULT_DUPLICATE_RULE): DuplicatePair[] {
  const passing = scored.filter((p) => isNearDuplicate(p, rule));
  const partners = new Map<number, number>();
  for (const p of passing) for (const i of [p.a, p.b]) partners.set(i, (partners.get(i) ?? 0) + 1);
  return passing
    .filter((p) => p.fine >= NEAR_IDENTICAL || (partners.get(p.a)! <= MAX_PARTNERS && partners.get(p.b)! <= MAX_PARTNERS))
    .map((p) => ({ a: p.a, b: p.b, similarity: Math.min(p.coarse, p.fine) }));
}

/** Every near-duplicate pair among the images (acceptedPairs of the scored candidates). */
export async function findNearDuplicatePairs(images: readonly Pixels[], options: NearDuplicateOptions = {}): Promise<DuplicatePair[]> {
  return acceptedPairs(await scoreDuplicateCandidates(images, options), options.rule);
}

/**
 * Two images the verifier could align (their coarse correlation at least ALIGNED) that still fail the rule: alike in
 * shape, different in detail, so different pictures. A pair that could not be aligned (a crop of a picture beside an
 * enlargement of it, whose combined framing the search does not reach, scores 0.3-0.8) says nothing either way.
 */
export const ALIGNED = 0.9;
export const differentPictures = (s: PairSimilarity, rule: DuplicateRule = DEFAULT_DUPLICATE_RULE): boolean => s.coarse >= ALIGNED && !isNearDuplicate(s, rule);

export interface GroupingOptions {
  /**
   * Whether two images are known to be different pictures (differentPictures of their similarity): two groups are not
   * joined when any image of one differs from any of the other. Without it, groups are connected components.
   */
  differ?: (a: number, b: number) => boolean;
}

/**
 * Joins pairs into groups, the most similar pairs first; members ascending, groups in member order. Connected
 * components alone chain different pictures through a copy: an enlarged (blurred) copy of one plain trouser can pass
 * the rule against another trouser whose own source fails it clearly (bench:duplicates, seed 3: 28 of 44 false pairs
 * came from such chains). With `differ`, a pair whose groups hold two images known to differ joins nothing: every
 * group stays free of a pair the verifier aligned and rejected (a complete-linkage veto).
 */
export function groupDuplicatePairs(count: number, pairs: readonly DuplicatePair[], options: GroupingOptions = {}): DuplicateGroup[] {
  const members = Array.from({ length: count }, (_, i) => [i]);
  const groupOf = Array.from({ length: count }, (_, i) => i);
  const similarity = new Array<number>(count).fill(1);
  const joined = new Set<number>();
  const ordered = [...pairs].sort((x, y) => y.similarity - x.similarity || x.a - y.a || x.b - y.b);
  for (const p of ordered) {
    const [g, h] = [groupOf[p.a]!, groupOf[p.b]!];
    if (g === h) {
      similarity[g] = Math.min(similarity[g]!, p.similarity);
      continue;
    }
    const differ = options.differ;
    if (differ && members[g]!.some((u) => members[h]!.some((v) => differ(u, v)))) continue;
    // The larger group absorbs the smaller.
    const [keep, gone] = members[g]!.length >= members[h]!.length ? [g, h] : [h, g];
    for (const u of members[gone]!) groupOf[u] = keep;
    members[keep]!.push(...members[gone]!);
    members[gone] = [];
    similarity[keep] = Math.min(similarity[keep]!, similarity[gone]!, p.similarity);
    joined.add(keep).delete(gone);
  }
  return [...joined].map((g) => ({ members: [...members[g]!].sort((x, y) => x - y), similarity: similarity[g]! })).sort((x, y) => x.members[0]! - y.members[0]!);
}

/**
 * The near-duplicate groups of scored candidate pairs: acceptedPairs joined by groupDuplicatePairs with the
 * complete-linkage veto, where a pair of images never scored is verified when a join needs it (a few per group).
 */
export function duplicateGroups(
  images: readonly Pixels[],
  scored: readonly (PairSimilarity & { a: number; b: number })[],
  rule: DuplicateRule = DEFAULT_DUPLICATE_RULE,
  verify: (a: number, b: number) => PairSimilarity = (a, b) => alignedSimilarity(images[a]!, images[b]!),
): DuplicateGroup[] {
  const n = images.length;
  const known = new Map<number, PairSimilarity>(scored.map((p) => [Math.min(p.a, p.b) * n + Math.max(p.a, p.b), p]));
  const similarityOf = (a: number, b: number) => {
    const key = Math.min(a, b) * n + Math.max(a, b);
    let s = known.get(key);
    if (!s) known.set(key, (s = verify(Math.min(a, b), Math.max(a, b))));
    return s;
  };
  return groupDuplicatePairs(n, acceptedPairs(scored, rule), { differ: (a, b) => differentPictures(similarityOf(a, b), rule) });
}
