// Reader for the IDX format of MNIST / Fashion-MNIST (optionally gzip-compressed), and a loader for the
// Debian package dataset-fashion-mnist. Node only (reads files).
import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { join } from "node:path";

export interface IdxArray {
  shape: number[];
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const TYPES: Record<number, { size: number; read: (v: DataView, o: number) => number; make: (n: number) => IdxArray["data"] }> = {
  0x08: { size: 1, read: (v, o) => v.getUint8(o), make: (n) => new Uint8Array(n) },
  0x09: { size: 1, read: (v, o) => v.getInt8(o), make: (n) => new Int8Array(n) },
  0x0b: { size: 2, read: (v, o) => v.getInt16(o), make: (n) => new Int16Array(n) },
  0x0c: { size: 4, read: (v, o) => v.getInt32(o), make: (n) => new Int32Array(n) },
  0x0d: { size: 4, read: (v, o) => v.getFloat32(o), make: (n) => new Float32Array(n) },
  0x0e: { size: 8, read: (v, o) => v.getFloat64(o), make: (n) => new Float64Array(n) },
};

/** Parses IDX bytes (gunzips first if they start with the gzip magic). `limit` keeps the first items only. */
export function parseIdx(bytes: Uint8Array, limit?: number): IdxArray {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = new Uint8Array(gunzipSync(bytes));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) throw new Error("not an IDX file (bad magic)");
  const type = TYPES[bytes[2]!];
  if (!type) throw new Error(`IDX: unknown data type 0x${bytes[2]!.toString(16)}`);
  const ndims = bytes[3]!;
  const shape: number[] = [];
  for (let i = 0; i < ndims; i++) shape.push(view.getUint32(4 + 4 * i));
  if (limit !== undefined && shape.length > 0) shape[0] = Math.min(shape[0]!, limit);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = 4 + 4 * ndims;
  if (bytes.length < offset + count * type.size) throw new Error("IDX: file is truncated");
  if (type.size === 1) {
    const slice = bytes.subarray(offset, offset + count);
    return { shape, data: bytes[2] === 0x08 ? new Uint8Array(slice) : new Int8Array(slice) };
  }
  const data = type.make(count);
  for (let i = 0; i < count; i++) data[i] = type.read(view, offset + i * type.size);
  return { shape, data };
}

export async function readIdxFile(path: string, limit?: number): Promise<IdxArray> {
  return parseIdx(new Uint8Array(await readFile(path)), limit);
}

export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";
export const FASHION_MNIST_CLASSES = [
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
];

export function fashionMnistAvailable(dir = FASHION_MNIST_DIR): boolean {
  return existsSync(join(dir, "train-images-idx3-ubyte.gz")) && existsSync(join(dir, "t10k-images-idx3-ubyte.gz"));
}

export interface LabelledImages {
  /** [count, rows, cols] grayscale bytes, row-major. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
  classes: string[];
}

/** Loads the first `limit` images of a Fashion-MNIST split from the Debian package's IDX files. */
export async function loadFashionMnist(split: "train" | "test", limit?: number, dir = FASHION_MNIST_DIR): Promise<LabelledImages> {
  const prefix = split === "train" ? "train" : "t10k";
  const [img, lab] = await Promise.all([
    readIdxFile(join(dir, `${prefix}-images-idx3-ubyte.gz`), limit),
    readIdxFile(join(dir, `${prefix}-labels-idx1-ubyte.gz`), limit),
  ]);
  if (img.shape.length !== 3 || lab.shape[0] !== img.shape[0]) throw new Error("Fashion-MNIST: unexpected IDX shapes");
  return {
    images: img.data as Uint8Array,
    labels: lab.data as Uint8Array,
    count: img.shape[0]!,
    rows: img.shape[1]!,
    cols: img.shape[2]!,
    classes: FASHION_MNIST_CLASSES,
  };
}
