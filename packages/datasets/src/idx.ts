// Reader for the IDX format (the original MNIST / Fashion-MNIST files), gzip or plain: a magic number giving the
// element type and rank, the dimension sizes, then the data, big-endian.
import fs from "node:fs";
import zlib from "node:zlib";

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

/** Parses IDX bytes (gunzipped first if they start with the gzip magic). `limit` keeps the first items only. */
export function parseIdx(input: Uint8Array, limit?: number): IdxArray {
  const bytes = input[0] === 0x1f && input[1] === 0x8b ? new Uint8Array(zlib.gunzipSync(input)) : input;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) throw new Error("Not an IDX file (bad magic number).");
  const type = TYPES[bytes[2]!];
  if (!type) throw new Error(`IDX: unknown data type 0x${bytes[2]!.toString(16)}.`);
  const rank = bytes[3]!;
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  if (limit !== undefined && shape.length > 0) shape[0] = Math.min(shape[0]!, limit);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = 4 + 4 * rank;
  if (bytes.length < offset + count * type.size) throw new Error(`IDX file is truncated: ${bytes.length - offset} of ${count * type.size} bytes.`);
  if (type.size === 1) {
    const slice = bytes.subarray(offset, offset + count);
    return { shape, data: bytes[2] === 0x08 ? slice : new Int8Array(slice.buffer, slice.byteOffset, slice.byteLength) };
  }
  const data = type.make(count);
  for (let i = 0; i < count; i++) data[i] = type.read(view, offset + i * type.size);
  return { shape, data };
}

export function readIdxFile(file: string, limit?: number): IdxArray {
  return parseIdx(fs.readFileSync(file), limit);
}
