// Rendered digits: a second small grayscale data set, made here from the system's fonts (nothing is downloaded), so
// that defaults are checked on more than Fashion-MNIST. Unlike clothing seen from the front, digits change meaning
// when mirrored, and their identity lives in stroke shapes rather than silhouettes: the two data sets pull
// augmentation choices in different directions. Each image is a digit in one of several font families and weights,
// at a random size, position, rotation and stroke thickness, white on black, 28x28, like MNIST's layout. Seeded:
// the same seed gives the same images.
import sharp from "sharp";
import type { GrayImageSet } from "./fashion-mnist";

const FAMILIES = ["DejaVu Sans", "DejaVu Serif", "DejaVu Sans Mono", "Liberation Sans", "Liberation Serif", "Liberation Mono", "Liberation Sans Narrow"];
export const DIGIT_CLASSES = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"] as const;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` rendered digits (labels balanced, in random order). Takes ~1 ms an image. */
export async function renderDigits(count: number, seed = 1): Promise<GrayImageSet> {
  const r = mulberry32(seed);
  const size = 28;
  const pixels = new Uint8Array(count * size * size);
  const labels = new Uint8Array(count);
  const uni = (lo: number, hi: number) => lo + (hi - lo) * r();
  for (let i = 0; i < count; i++) {
    const digit = i % 10;
    const family = FAMILIES[Math.floor(r() * FAMILIES.length)]!;
    const weight = r() < 0.35 ? "bold" : "normal";
    const fontSize = uni(16, 24);
    const angle = uni(-15, 15);
    const dx = uni(-2.5, 2.5),
      dy = uni(-2, 2);
    const stroke = uni(0, 1.2);
    const svg =
      `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}"><rect width="${size}" height="${size}" fill="black"/>` +
      `<text x="14" y="${14 + fontSize * 0.36}" font-size="${fontSize.toFixed(1)}" font-family="${family}" font-weight="${weight}" text-anchor="middle" ` +
      `fill="white" stroke="white" stroke-width="${stroke.toFixed(2)}" transform="translate(${dx.toFixed(2)} ${dy.toFixed(2)}) rotate(${angle.toFixed(1)} 14 14)">${digit}</text></svg>`;
    const raw = await sharp(Buffer.from(svg)).greyscale().raw().toBuffer();
    if (raw.length !== size * size) throw new Error(`renderDigits: unexpected ${raw.length} bytes`);
    pixels.set(raw, i * size * size);
    labels[i] = digit;
  }
  // Shuffle so that any prefix is a balanced, mixed sample.
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const outPixels = new Uint8Array(pixels.length),
    outLabels = new Uint8Array(count);
  order.forEach((from, to) => {
    outPixels.set(pixels.subarray(from * size * size, (from + 1) * size * size), to * size * size);
    outLabels[to] = labels[from]!;
  });
  return { pixels: outPixels, labels: outLabels, count, height: size, width: size, classes: DIGIT_CLASSES };
}
