// Test-only PNG writer: small grayscale images made without any image library (the e2e tests use it outside
// Node's sharp), and PNGs whose header says whatever a test needs (decompression-bomb headers).
import { crc32, deflateSync } from "node:zlib";

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function pngChunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  const typed = Buffer.concat([Buffer.from(type, "ascii"), body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed) >>> 0);
  return Buffer.concat([head, typed, crc]);
}

/** A PNG from an IHDR and raw (filtered) scanlines. */
export function pngFrom(width: number, height: number, colourType: 0 | 2, scanlines: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = colourType;
  return Buffer.concat([SIGNATURE, pngChunk("IHDR", ihdr), pngChunk("IDAT", deflateSync(scanlines)), pngChunk("IEND", Buffer.alloc(0))]);
}

/** A small grayscale PNG whose pixels depend on `seed`, so different seeds give different (non-duplicate) images. */
export function grayPng(seed: number, size = 32): Buffer {
  const rows = Buffer.alloc(size * (size + 1));
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) rows[y * (size + 1) + 1 + x] = (x * 7 + y * seed * 5 + seed * 29) % 256;
  return pngFrom(size, size, 0, rows);
}

/**
 * A small colour PNG of `width` x `height` whose pixels depend on `seed` (each channel its own gradient), for tests
 * of colour images on their own aspect ratio.
 */
export function rgbPng(seed: number, width: number, height: number): Buffer {
  const stride = 1 + width * 3;
  const rows = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const at = y * stride + 1 + x * 3;
      rows[at] = (x * 9 + seed * 41) % 256;
      rows[at + 1] = (y * 11 + seed * 17) % 256;
      rows[at + 2] = ((x + y) * seed * 3 + 60) % 256;
    }
  return pngFrom(width, height, 2, rows);
}

/** A valid-looking RGB PNG whose header declares `width` x `height` pixels but carries almost no data. */
export function pngDeclaring(width: number, height: number): Buffer {
  return pngFrom(width, height, 2, Buffer.alloc(1024));
}
