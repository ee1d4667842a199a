// Is a horizontal flip a label-preserving augmentation for this data? SimCLR flips every photo, but mirroring changes
// what a digit, a letter, a left-facing shoe or a text-bearing product means. Without labels we can still ask the
// images: a mirrored image of a mirror-closed collection (photos of animals, clothes seen from the front) looks like
// other images of the collection, while a mirrored "3" or "R" looks like nothing in it. We compare, for a sample of
// images, the distance from each image's mirror to its nearest neighbour in the collection with the distance from
// the image itself to its nearest other image (small grayscale thumbnails, Euclidean). A median ratio near 1 means
// mirrors are as typical as originals.
import { tf } from "../tf.js";
import { mulberry32 } from "../util/random.js";
import type { ImageSource } from "../stages/imageSource.js";

export interface MirrorCheck {
  /** Median over the sample of nn-distance(mirror) / nn-distance(original). */
  ratio: number;
  /** Whether flipping is safe to use as an augmentation (ratio below the threshold). */
  mirrorSafe: boolean;
  sampled: number;
}

/**
 * Ratio above which mirrors are judged atypical. Measured: Fashion-MNIST 1.11 (front views alone 1.03, bags 1.06,
 * trousers 1.26, its left-facing shoes 1.63), rendered digits 1.30. Set low on purpose: not flipping mirror-invariant
 * data costs little (Fashion-MNIST's encoder was as good without flips), flipping digits or text teaches the encoder
 * that a 2 and its mirror are the same thing.
 */
export const MIRROR_RATIO_THRESHOLD = 1.15;

const THUMB = 16;

/**
 * Decides from the images themselves (NHWC in [0, 1], or a source of them, read only for the images it compares)
 * whether horizontal flips preserve meaning.
 */
export async function checkMirrorInvariance(images: tf.Tensor4D | ImageSource, o: { sample?: number; reference?: number; seed?: number } = {}): Promise<MirrorCheck> {
  const n = images instanceof tf.Tensor ? images.shape[0] : images.count;
  if (n < 3) return { ratio: 1, mirrorSafe: true, sampled: 0 };
  const r = mulberry32(o.seed ?? 1);
  const pick = (k: number) => {
    const idx = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    return idx.slice(0, Math.min(k, n));
  };
  const refIdx = pick(o.reference ?? 2000);
  const queryIdx = refIdx.slice(0, Math.min(o.sample ?? 200, refIdx.length));
  const [refRows, queryRows, mirrorRows] = tf.tidy(() => {
    const thumbs = (idx: number[]) => {
      const x = images instanceof tf.Tensor ? (tf.gather(images, idx) as tf.Tensor4D) : images.get(idx);
      const gray = x.shape[3] === 1 ? x : (tf.mean(x, 3, true) as tf.Tensor4D);
      return tf.image.resizeBilinear(gray, [THUMB, THUMB], true);
    };
    const ref = thumbs(refIdx),
      q = thumbs(queryIdx);
    const flat = (t: tf.Tensor4D) => tf.reshape(t, [t.shape[0], -1]) as tf.Tensor2D;
    return [flat(ref), flat(q), flat(tf.reverse(q, 2) as tf.Tensor4D)];
  });
  // Squared distances of each query row to every reference row.
  const distances = (q: tf.Tensor2D) =>
    tf.tidy(() => tf.relu(tf.add(tf.sub(tf.sum(tf.square(q), 1, true), tf.mul(2, tf.matMul(q, refRows, false, true))), tf.expandDims(tf.sum(tf.square(refRows), 1), 0))));
  const dq = distances(queryRows),
    dm = distances(mirrorRows);
  const [a, b] = await Promise.all([dq.array() as Promise<number[][]>, dm.array() as Promise<number[][]>]);
  tf.dispose([refRows, queryRows, mirrorRows, dq, dm]);
  const ratios: number[] = [];
  queryIdx.forEach((_, i) => {
    // The query is in the reference set (position i): its own distance 0 is excluded, for the original and the mirror
    // alike (a symmetric image's mirror is itself, which must not count as a neighbour).
    let nearest = Infinity,
      nearestMirror = Infinity;
    for (let j = 0; j < refIdx.length; j++) {
      if (j === i) continue;
      nearest = Math.min(nearest, a[i]![j]!);
      nearestMirror = Math.min(nearestMirror, b[i]![j]!);
    }
    if (nearest > 1e-9) ratios.push(Math.sqrt(nearestMirror / nearest));
  });
  if (ratios.length === 0) return { ratio: 1, mirrorSafe: true, sampled: 0 };
  ratios.sort((x, y) => x - y);
  const ratio = ratios[Math.floor(ratios.length / 2)]!;
  return { ratio, mirrorSafe: ratio < MIRROR_RATIO_THRESHOLD, sampled: ratios.length };
}
