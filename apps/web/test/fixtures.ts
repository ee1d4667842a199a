// Real hostile and ordinary files for upload tests: zips with arbitrary entry names (which zip libraries refuse to
// write), PNG headers that lie about their size, truncated JPEGs.
import { buildZip, pngDeclaring } from "@fewlabel/storage/testing";
import sharp from "sharp";

export async function png(seed: number, size = 28, channels: 1 | 3 = 3): Promise<Buffer> {
  const data = Buffer.alloc(size * size * channels);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + seed * 97) % 251;
  return sharp(data, { raw: { width: size, height: size, channels } })
    .png()
    .toBuffer();
}

export async function jpeg(seed: number, size = 64): Promise<Buffer> {
  const data = Buffer.alloc(size * size * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + seed * 13) % 256;
  return sharp(data, { raw: { width: size, height: size, channels: 3 } })
    .jpeg()
    .toBuffer();
}

export { pngDeclaring };

export interface ZipEntry {
  name: string;
  data: Buffer;
  deflate?: boolean;
}

/** A zip with exactly the given entry names (no sanitising), stored or deflated: storage's test zip writer. */
export function makeZip(entries: ZipEntry[]): Buffer {
  return buildZip(entries.map((e) => ({ name: e.name, data: e.data, method: e.deflate ? 8 : 0 })));
}
