// Training copies kept on the trainer's disk across restarts, so that a restarted trainer (or one that took a
// project over) does not download every image again. Entries are named by a key the caller derives from the
// server, the copy's format and the original's content hash (an image's copy never changes under one key); each file
// holds the SHA-256 of its bytes before them, checked on every read, so a torn or altered file is dropped and
// downloaded again rather than trained on. Bounded: past `maxBytes` the least recently used files go.
import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";

const DIGEST_BYTES = 32;

export class DiskImageCache {
  private written = 0;

  constructor(
    readonly dir: string,
    private readonly maxBytes: number,
  ) {}

  static key(...parts: string[]): string {
    return createHash("sha256").update(parts.join("\0")).digest("hex");
  }

  private file(key: string): string {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new Error(`disk cache key must be a SHA-256 hex digest, got ${JSON.stringify(key)}`);
    return path.join(this.dir, key.slice(0, 2), key);
  }

  /** The bytes stored under `key`, or null when there are none or they fail their check (then they are removed). */
  async read(key: string): Promise<Buffer | null> {
    const file = this.file(key);
    let data: Buffer;
    try {
      data = await fs.readFile(file);
    } catch {
      return null;
    }
    const bytes = data.subarray(DIGEST_BYTES);
    if (data.length < DIGEST_BYTES || !createHash("sha256").update(bytes).digest().equals(data.subarray(0, DIGEST_BYTES))) {
      await fs.rm(file, { force: true });
      return null;
    }
    // Recently used: the pruning below keeps it.
    const now = new Date();
    await fs.utimes(file, now, now).catch(() => {});
    return bytes;
  }

  /** Stores `bytes` under `key`: written to a temporary name, then renamed, so a reader never sees half a file. */
  async write(key: string, bytes: Buffer): Promise<void> {
    const file = this.file(key);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomUUID()}.tmp`;
    await fs.writeFile(tmp, Buffer.concat([createHash("sha256").update(bytes).digest(), bytes]));
    await fs.rename(tmp, file);
    this.written += bytes.length + DIGEST_BYTES;
    // Pruning lists the whole cache: not after every file, but once a tenth of the bound has been written.
    if (this.written > this.maxBytes / 10) {
      this.written = 0;
      await this.prune();
    }
  }

  async remove(key: string): Promise<void> {
    await fs.rm(this.file(key), { force: true });
  }

  /** Removes the least recently used files until the cache holds at most 80% of `maxBytes`. */
  async prune(): Promise<void> {
    const files: { file: string; size: number; used: number }[] = [];
    for (const sub of await fs.readdir(this.dir).catch(() => [] as string[])) {
      for (const name of await fs.readdir(path.join(this.dir, sub)).catch(() => [] as string[])) {
        const file = path.join(this.dir, sub, name);
        const st = await fs.stat(file).catch(() => null);
        // A temporary file older than a minute was left by a writer that died.
        if (st && name.endsWith(".tmp") && Date.now() - st.mtimeMs > 60_000) await fs.rm(file, { force: true });
        else if (st?.isFile() && !name.endsWith(".tmp")) files.push({ file, size: st.size, used: st.mtimeMs });
      }
    }
    let total = files.reduce((s, f) => s + f.size, 0);
    if (total <= this.maxBytes) return;
    files.sort((a, b) => a.used - b.used);
    for (const f of files) {
      if (total <= this.maxBytes * 0.8) break;
      await fs.rm(f.file, { force: true });
      total -= f.size;
    }
  }
}
