// Streams a zip (e.g. the ImageNet-style "label/hash.png" export) without holding the archive in memory. Entries are
// pulled from the async iterable only as the consumer reads, so at most one source stream is open at a time and
// buffers do not pile up ahead of a slow download.
import { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import yazl from "yazl";
import { checkArchivePath } from "./archive-path";

export interface ZipSourceEntry {
  /** Relative path inside the zip, "/"-separated; unsafe paths (.., absolute) throw. */
  path: string;
  data: Buffer | Readable;
  mtime?: Date;
  /** Deflate the entry. Default: off for already-compressed images (jpeg/png/webp/gif), on otherwise. */
  compress?: boolean;
}

const ALREADY_COMPRESSED = /\.(jpe?g|png|webp|gif|zip|gz)$/i;

function bufferStream(data: Buffer): Readable {
  return new Readable({
    read() {
      this.push(data);
      this.push(null);
    },
  });
}

// yazl 3 API that @types/yazl (written for yazl 2) lacks.
type LazyZipFile = yazl.ZipFile & {
  addReadStreamLazy(path: string, options: { mtime: Date; compress: boolean }, getStream: (callback: (error: Error | null, stream: Readable) => void) => void): void;
};

export function writeZip(entries: AsyncIterable<ZipSourceEntry> | Iterable<ZipSourceEntry>): Readable {
  const zipfile = new yazl.ZipFile();
  const zipOutput = zipfile.outputStream as Readable;
  let currentSource: Readable | null = null;
  const output = new Readable({
    read() {
      zipOutput.resume();
    },
    destroy(error, callback) {
      zipOutput.destroy();
      currentSource?.destroy();
      callback(error);
    },
  });
  zipOutput.on("data", (chunk: Buffer) => {
    if (!output.push(chunk)) zipOutput.pause();
  });
  zipOutput.on("end", () => output.push(null));
  zipOutput.on("error", (error) => output.destroy(error));

  void (async () => {
    const seen = new Set<string>();
    for await (const entry of entries) {
      if (output.destroyed) {
        if (entry.data instanceof Readable) entry.data.destroy();
        return;
      }
      const checked = checkArchivePath(entry.path);
      if (checked.kind !== "file") throw new Error(`writeZip: unusable entry path ${JSON.stringify(entry.path)}`);
      if (seen.has(checked.path)) throw new Error(`writeZip: duplicate entry path ${JSON.stringify(checked.path)}`);
      seen.add(checked.path);
      const options = {
        mtime: entry.mtime ?? new Date(),
        compress: entry.compress ?? !ALREADY_COMPRESSED.test(checked.path),
      };
      // Buffers go through a stream too, so that waiting for the source to be drained (below) is the one
      // backpressure mechanism: yazl reads a source only as fast as its output is consumed.
      const stream = Buffer.isBuffer(entry.data) ? bufferStream(entry.data) : entry.data;
      currentSource = stream;
      (zipfile as LazyZipFile).addReadStreamLazy(checked.path, options, (callback) => callback(null, stream));
      // One open source at a time: a store's read stream holds a file descriptor from the moment it exists.
      await finished(stream);
      currentSource = null;
    }
    zipfile.end();
  })().catch((error: unknown) => {
    output.destroy(error instanceof Error ? error : new Error(String(error)));
  });

  return output;
}
