// Where the trainer keeps its projects' working copies (8-bit decoded training images): in memory up to a budget
// shared by every project this trainer serves, the rest in one file per project on the trainer's disk, read back
// image by image when a batch needs them. So the trainer's memory does not grow with the projects it serves (a
// 100,000-image project at 96 px holds some 6 GB of working copies), and the operating system's page cache, not the
// process, keeps the file's hot parts in RAM. Reads are synchronous positioned reads of one image each: a batch of
// 128 images at 144 px is about 8 MB, a few milliseconds from the page cache, small beside a training step there.
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { WorkingCopy } from "./images";

/** Bytes of working copies all projects may hold in memory together. */
export class MemoryBudget {
  used = 0;
  constructor(readonly limit: number) {}
}

interface OnDisk {
  offset: number;
  length: number;
  width: number;
  height: number;
  channels: WorkingCopy["channels"];
}

export class WorkingCopies {
  private readonly memory = new Map<string, WorkingCopy>();
  private readonly disk = new Map<string, OnDisk>();
  private file: { path: string; fd: number; size: number } | null = null;

  constructor(
    private readonly budget: MemoryBudget,
    /** Folder for the spill file (made when first needed). */
    private readonly dir: string,
  ) {}

  get size(): number {
    return this.memory.size + this.disk.size;
  }

  /** Bytes held in memory, and in the spill file. */
  get bytes(): { memory: number; disk: number } {
    let memory = 0;
    for (const c of this.memory.values()) memory += c.data.byteLength;
    return { memory, disk: this.file?.size ?? 0 };
  }

  has(id: string): boolean {
    return this.memory.has(id) || this.disk.has(id);
  }

  /** Channels of a held image (without reading it from disk). */
  channels(id: string): WorkingCopy["channels"] | undefined {
    return this.memory.get(id)?.channels ?? this.disk.get(id)?.channels;
  }

  /** Width / height of a held image (without reading it from disk). */
  aspect(id: string): number | undefined {
    const c = this.memory.get(id) ?? this.disk.get(id);
    return c && c.width / c.height;
  }

  set(id: string, copy: WorkingCopy): void {
    this.delete(id);
    const n = copy.data.byteLength;
    if (this.budget.used + n <= this.budget.limit) {
      this.memory.set(id, copy);
      this.budget.used += n;
      return;
    }
    const file = this.openFile();
    fs.writeSync(file.fd, copy.data, 0, n, file.size);
    this.disk.set(id, { offset: file.size, length: n, width: copy.width, height: copy.height, channels: copy.channels });
    file.size += n;
  }

  get(id: string): WorkingCopy | undefined {
    const kept = this.memory.get(id);
    if (kept) return kept;
    const at = this.disk.get(id);
    if (!at || !this.file) return undefined;
    const data = new Uint8Array(at.length);
    const read = fs.readSync(this.file.fd, data, 0, at.length, at.offset);
    if (read !== at.length) throw new Error(`the trainer's working copy file ${this.file.path} ended early (${read} of ${at.length} bytes of an image)`);
    return { data, width: at.width, height: at.height, channels: at.channels };
  }

  /** Forgets an image (its bytes in the spill file stay until `clear`). */
  delete(id: string): void {
    const kept = this.memory.get(id);
    if (kept) {
      this.budget.used -= kept.data.byteLength;
      this.memory.delete(id);
    }
    this.disk.delete(id);
  }

  /** Forgets every image, gives the memory back to the budget and removes the spill file. */
  clear(): void {
    for (const c of this.memory.values()) this.budget.used -= c.data.byteLength;
    this.memory.clear();
    this.disk.clear();
    if (this.file) {
      fs.closeSync(this.file.fd);
      fs.rmSync(this.file.path, { force: true });
      open.delete(this.file.path);
      this.file = null;
    }
  }

  private openFile() {
    if (this.file) return this.file;
    fs.mkdirSync(this.dir, { recursive: true });
    removeOrphans(this.dir);
    const file = path.join(this.dir, `${process.pid}-${randomUUID()}.bin`);
    this.file = { path: file, fd: fs.openSync(file, "w+", 0o600), size: 0 };
    open.add(file);
    return this.file;
  }
}

// Spill files of this process, removed when it exits (a crash leaves them to removeOrphans at the next start).
const open = new Set<string>();
process.once("exit", () => {
  for (const file of open) fs.rmSync(file, { force: true });
});

/** Spill files of trainers that are no longer running (named `<pid>-…`): a trainer killed outright leaves its file. */
function removeOrphans(dir: string): void {
  for (const name of fs.readdirSync(dir)) {
    const pid = Number(/^(\d+)-.*\.bin$/.exec(name)?.[1]);
    if (!pid || pid === process.pid || alive(pid)) continue;
    fs.rmSync(path.join(dir, name), { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
