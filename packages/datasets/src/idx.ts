// Reader for the IDX format (the original MNIST / Fashion-MNIST files), gzip or plain: a magic number giving the
// element type and rank, the dimension sizes, then the data, big-endian.
import fs from "node:fs";
import zlib from "node:zlib";

export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

export function parseIdx(bytes: Uint8Array): IdxArray {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 || view.getUint16(0) !== 0) throw new Error("Not an IDX file (bad magic number).");
  const type = bytes[2];
  if (type !== 0x08) throw new Error(`Only unsigned-byte IDX files are supported (type 0x${type?.toString(16)}).`);
  const rank = bytes[3]!;
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const offset = 4 + 4 * rank;
  const size = shape.reduce((a, b) => a * b, 1);
  if (bytes.length - offset < size) throw new Error(`IDX file is truncated: ${bytes.length - offset} of ${size} bytes.`);
  return { shape, data: bytes.subarray(offset, offset + size) };
}

export function readIdxFile(file: string): IdxArray {
  const raw = fs.readFileSync(file);
  return parseIdx(raw[0] === 0x1f && raw[1] === 0x8b ? zlib.gunzipSync(raw) : raw);
}
