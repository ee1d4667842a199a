// Real hostile and ordinary files for upload tests: zips with arbitrary entry names (which zip libraries refuse to
// write), PNG headers that lie about their size, truncated JPEGs.
import zlib from "node:zlib";
import { buildZip } from "@fewlabel/storage/testing";
import sharp from "sharp";

export async function png(seed: number, size = 28, channels: 1 | 3 = 3): Promise<Buffer> {
  const data = Buffer.alloc(size * size * channels);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + seed * 97) % 251;
  return sharp(data, { raw: { width: size, height: size, channels } }).png().toBuffer();
}

export async function jpeg(seed: number, size = 64): Promise<Buffer> {
  const data = Buffer.alloc(size * size * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + seed * 13) % 256;
  return sharp(data, { raw: { width: size, height: size, channels: 3 } }).jpeg().toBuffer();
}

function chunk(type: string, body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  const tb = Buffer.concat([Buffer.from(type, "ascii"), body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(tb) >>> 0);
  return Buffer.concat([len, tb, crc]);
}

/** A small, valid-looking PNG whose header declares `width` x `height` pixels (a decompression bomb's calling card). */
export function pngDeclaring(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const idat = zlib.deflateSync(Buffer.alloc(1024));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", idat),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

export interface ZipEntry {
  name: string;
  data: Buffer;
  deflate?: boolean;
}

/** A zip with exactly the given entry names (no sanitising), stored or deflated: storage's test zip writer. */
export function makeZip(entries: ZipEntry[]): Buffer {
  return buildZip(entries.map((e) => ({ name: e.name, data: e.data, method: e.deflate ? 8 : 0 })));
}
