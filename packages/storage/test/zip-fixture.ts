// Test-only zip writer that will write what real tools refuse to: "../evil.png", absolute names, lying size
// headers, encrypted flags, odd compression methods. Minimal PKZIP 2.0 layout (no zip64, no data descriptors).
import { crc32, deflateRawSync } from "node:zlib";

export interface FixtureEntry {
  name: string;
  /** Uncompressed content; ignored when `compressed` is given. */
  data?: Buffer;
  /** Pre-compressed payload (with `method`, `crc` and `uncompressedSize` describing it). */
  compressed?: Buffer;
  method?: 0 | 8 | 12;
  crc?: number;
  uncompressedSize?: number;
  /** Overrides the size written into both headers (to make the header lie). */
  declaredSize?: number;
  encrypted?: boolean;
}

export function buildZip(entries: FixtureEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, "utf8");
    const method = entry.method ?? (entry.compressed ? 8 : 8);
    const data = entry.data ?? Buffer.alloc(0);
    const payload = entry.compressed ?? (method === 8 ? deflateRawSync(data) : data);
    const crc = entry.crc ?? crc32(data);
    const size = entry.declaredSize ?? entry.uncompressedSize ?? data.length;
    const flags = 0x0800 | (entry.encrypted ? 1 : 0);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(0x21, 12);
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(payload.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, payload);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc >>> 0, 16);
    central.writeUInt32LE(payload.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + payload.length;
  }
  const centralDirectory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralDirectory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, centralDirectory, end]);
}

/** Deflates `size` zero bytes without ever holding them: returns the compressed payload and its CRC. */
export async function deflatedZeros(size: number): Promise<{ compressed: Buffer; crc: number }> {
  const { createDeflateRaw } = await import("node:zlib");
  const chunk = Buffer.alloc(1024 * 1024);
  const deflate = createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  deflate.on("data", (b: Buffer) => out.push(b));
  let crc = 0;
  for (let written = 0; written < size; written += chunk.length) {
    const piece = chunk.subarray(0, Math.min(chunk.length, size - written));
    crc = crc32(piece, crc);
    if (!deflate.write(piece)) await new Promise((r) => deflate.once("drain", r));
  }
  const ended = new Promise((r) => deflate.once("end", r)); // the readable side: all compressed output delivered
  deflate.end();
  await ended;
  return { compressed: Buffer.concat(out), crc };
}
