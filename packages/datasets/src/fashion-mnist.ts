// Fashion-MNIST from Debian's dataset-fashion-mnist package (the original IDX files): 60,000 train and 10,000 test
// images, 28x28 grayscale, 10 classes. Nothing is downloaded; when the package is missing we say how to get it.
import fs from "node:fs";
import path from "node:path";
import { readIdxFile } from "./idx";

export const FASHION_MNIST_DIR = process.env.FASHION_MNIST_DIR ?? "/usr/share/datasets/fashion-mnist";

export const FASHION_MNIST_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"] as const;

export interface GrayImageSet {
  /** count x 28 x 28 pixels, row-major, 0-255. */
  pixels: Uint8Array;
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
  classes: readonly string[];
}

export type FashionMnistSplit = "train" | "test";

export function fashionMnistAvailable(dir = FASHION_MNIST_DIR): boolean {
  return fs.existsSync(path.join(dir, "t10k-images-idx3-ubyte.gz")) && fs.existsSync(path.join(dir, "train-images-idx3-ubyte.gz"));
}

/** Loads a split (its first `limit` images when given) from the Debian package's IDX files. */
export function loadFashionMnist(split: FashionMnistSplit, options: { limit?: number; dir?: string } = {}): GrayImageSet {
  const dir = options.dir ?? FASHION_MNIST_DIR;
  if (!fashionMnistAvailable(dir)) {
    throw new Error(`Fashion-MNIST not found in ${dir}. Install it with: apt-get install -y dataset-fashion-mnist`);
  }
  const prefix = split === "train" ? "train" : "t10k";
  const images = readIdxFile(path.join(dir, `${prefix}-images-idx3-ubyte.gz`), options.limit);
  const labels = readIdxFile(path.join(dir, `${prefix}-labels-idx1-ubyte.gz`), options.limit);
  const [count, height, width] = images.shape as [number, number, number];
  if (images.shape.length !== 3 || labels.shape[0] !== count) throw new Error(`Fashion-MNIST ${split}: unexpected IDX shapes.`);
  return { pixels: images.data as Uint8Array, labels: labels.data as Uint8Array, count, height, width, classes: FASHION_MNIST_CLASSES };
}

/** The pixels of image `i` of a set (a view, not a copy). */
export function imageAt(set: GrayImageSet, i: number): Uint8Array {
  const n = set.height * set.width;
  return set.pixels.subarray(i * n, (i + 1) * n);
}
