// Streams the files out of an uploaded zip one at a time, defending against hostile archives: zip-slip paths,
// zip bombs (real inflated bytes are counted while streaming; headers are only used to refuse early, never to
// accept), nested archives, encrypted or exotic entries. Problems with one entry are yielded as a rejected entry so
// the rest of the upload still goes through; problems with the archive as a whole throw ArchiveError.
import { readFile, stat } from "node:fs/promises";
import { crc32, inflateRawSync } from "node:zlib";
import yauzl from "yauzl";
import { checkArchivePath } from "./archive-path";

export interface ZipLimits {
  /** Most central-directory records (files and folders) an archive may have; checked before reading any entry. */
  maxEntries: number;
  /** Most bytes one entry may inflate to. */
  maxEntryBytes: number;
  /** Most bytes all entries together may inflate to. */
  maxTotalBytes: number;
  /** Inflated / compressed size above which an entry is treated as a zip bomb... */
  maxCompressionRatio: number;
  /** ...once it has inflated past this many bytes (small, very compressible files such as CSVs are fine). */
  compressionRatioMinBytes: number;
}

export const DEFAULT_ZIP_LIMITS: Readonly<ZipLimits> = Object.freeze({
  maxEntries: 50_000,
  maxEntryBytes: 50 * 1024 * 1024,
  maxTotalBytes: 2 * 1024 * 1024 * 1024,
  maxCompressionRatio: 200,
  compressionRatioMinBytes: 1024 * 1024,
});

export type ZipEntryRejectionCode = "unsafe_path" | "nested_archive" | "encrypted" | "unsupported_compression" | "too_large_bytes" | "compression_ratio" | "corrupt";

export type ZipEntry = { kind: "file"; path: string; bytes: Buffer } | { kind: "rejected"; path: string; code: ZipEntryRejectionCode; message: string };

export type ArchiveErrorCode = "corrupt_archive" | "too_many_entries" | "too_large_total";

export class ArchiveError extends Error {
  override readonly name = "ArchiveError";
  constructor(
    readonly code: ArchiveErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const NESTED_ARCHIVE_EXTENSION = /\.(zip|7z|rar|tar|gz|tgz|bz2|xz|zst)$/i;
const NESTED_ARCHIVE_MAGIC: readonly (readonly number[])[] = [
  [0x50, 0x4b, 0x03, 0x04], // zip
  [0x50, 0x4b, 0x05, 0x06], // empty zip
  [0x1f, 0x8b], // gzip
  [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], // 7z
  [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07], // rar
  [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], // xz
  [0x28, 0xb5, 0x2f, 0xfd], // zstd
];

function looksLikeArchive(bytes: Buffer): boolean {
  return NESTED_ARCHIVE_MAGIC.some((magic) => magic.every((byte, i) => bytes[i] === byte));
}

// Parts of yauzl 3 that @types/yauzl (written for yauzl 2) does not declare.
type YauzlEntry = yauzl.Entry & {
  fileNameRaw: Buffer;
  isEncrypted(): boolean;
  canDecodeFileData(): boolean;
};
const getFileNameLowLevel = (
  yauzl as unknown as {
    getFileNameLowLevel(flags: number, name: Buffer, extraFields: unknown, strictFileNames: boolean): string;
  }
).getFileNameLowLevel;

const megabytes = (n: number) => `${(n / (1024 * 1024)).toFixed(1)} MB`;

// Speed (measured on 10,000 small entries, see bench/ingest.ts): yauzl reading a file makes three small fs reads per
// entry through libuv's thread pool, ~150 us of CPU each entry; from a Buffer it is ~20 us. So archives up to this
// size are read into memory first; bigger ones are read from disk with random access.
const IN_MEMORY_MAX_BYTES = 256 * 1024 * 1024;
// Entries declaring at most this many bytes are inflated in one synchronous zlib call (bounded by maxOutputLength,
// so a lying header cannot make it inflate more) instead of a zlib stream, whose setup alone costs ~100 us.
const SYNC_INFLATE_MAX_BYTES = 1024 * 1024;

/**
 * Reads a zip from a file path or a Buffer. Files up to 256 MiB are loaded into memory (faster), larger ones are
 * read from disk entry by entry.
 */
export async function* readZipArchive(source: string | Buffer, limits: Partial<ZipLimits> = {}): AsyncGenerator<ZipEntry, void, undefined> {
  const limit: ZipLimits = { ...DEFAULT_ZIP_LIMITS, ...limits };
  const zipfile = await openZip(await loadIfSmall(source));
  try {
    if (zipfile.entryCount > limit.maxEntries) {
      throw new ArchiveError("too_many_entries", `The archive has ${zipfile.entryCount} entries; at most ${limit.maxEntries} are accepted per upload.`);
    }
    let totalBytes = 0;
    for (let entry = await nextEntry(zipfile); entry !== null; entry = await nextEntry(zipfile)) {
      // decodeStrings is off so a bad name becomes a per-entry rejection instead of an error ending the whole
      // archive; the name is decoded here exactly as yauzl would (UTF-8 flag or Info-ZIP extra field, else CP437).
      const rawName = getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, false);
      const checked = checkArchivePath(rawName);
      if (checked.kind === "skip") continue;
      if (checked.kind === "unsafe") {
        yield { kind: "rejected", path: rawName, code: "unsafe_path", message: checked.message };
        continue;
      }
      const path = checked.path;
      const reject = (code: ZipEntryRejectionCode, message: string): ZipEntry => ({ kind: "rejected", path, code, message });

      if (NESTED_ARCHIVE_EXTENSION.test(path)) {
        yield reject("nested_archive", "Archives inside the archive are not opened; extract it and upload it separately.");
        continue;
      }
      if (entry.isEncrypted()) {
        yield reject("encrypted", "The entry is password-protected.");
        continue;
      }
      if (!entry.canDecodeFileData()) {
        yield reject("unsupported_compression", `The entry uses compression method ${entry.compressionMethod}; only stored and deflated entries are supported.`);
        continue;
      }
      // Early refusals from the header; the inflated bytes are counted again below, as the header can lie.
      if (entry.uncompressedSize > limit.maxEntryBytes) {
        yield reject("too_large_bytes", `The entry is ${megabytes(entry.uncompressedSize)} uncompressed; the limit is ${megabytes(limit.maxEntryBytes)}.`);
        continue;
      }
      if (totalBytes + entry.uncompressedSize > limit.maxTotalBytes) throw tooLargeTotal(limit);

      const read = await readEntryBytes(zipfile, entry, limit);
      totalBytes += read.inflatedBytes;
      if (totalBytes > limit.maxTotalBytes) throw tooLargeTotal(limit);
      if (read.kind === "rejected") {
        yield reject(read.code, read.message);
      } else if (looksLikeArchive(read.bytes)) {
        yield reject("nested_archive", "The entry is itself an archive; extract it and upload it separately.");
      } else {
        yield { kind: "file", path, bytes: read.bytes };
      }
    }
  } finally {
    zipfile.close();
  }
}

async function loadIfSmall(source: string | Buffer): Promise<string | Buffer> {
  if (typeof source !== "string") return source;
  return (await stat(source)).size <= IN_MEMORY_MAX_BYTES ? readFile(source) : source;
}

function tooLargeTotal(limit: ZipLimits): ArchiveError {
  return new ArchiveError("too_large_total", `The archive inflates to more than ${megabytes(limit.maxTotalBytes)}; split it into smaller uploads.`);
}

async function openZip(source: string | Buffer): Promise<yauzl.ZipFile> {
  const options = { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, autoClose: false };
  try {
    return await new Promise<yauzl.ZipFile>((resolve, reject) => {
      const done = (error: Error | null, zipfile?: yauzl.ZipFile) => (error || !zipfile ? reject(error) : resolve(zipfile));
      if (typeof source === "string") yauzl.open(source, options, done);
      else yauzl.fromBuffer(source, options, done);
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException | null)?.code === "ENOENT") throw error;
    throw corruptArchive(error);
  }
}

function corruptArchive(error: unknown): ArchiveError {
  const detail = error instanceof Error ? error.message : String(error);
  return new ArchiveError("corrupt_archive", `The file is not a readable zip archive (${detail}).`, { cause: error });
}

function nextEntry(zipfile: yauzl.ZipFile): Promise<YauzlEntry | null> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      zipfile.off("entry", onEntry);
      zipfile.off("end", onEnd);
      zipfile.off("error", onError);
    };
    const onEntry = (entry: YauzlEntry) => (cleanup(), resolve(entry));
    const onEnd = () => (cleanup(), resolve(null));
    const onError = (error: unknown) => (cleanup(), reject(corruptArchive(error)));
    zipfile.on("entry", onEntry);
    zipfile.on("end", onEnd);
    zipfile.on("error", onError);
    zipfile.readEntry();
  });
}

type EntryRead = { kind: "file"; bytes: Buffer; inflatedBytes: number } | { kind: "rejected"; code: ZipEntryRejectionCode; message: string; inflatedBytes: number };

function readEntryBytes(zipfile: yauzl.ZipFile, entry: YauzlEntry, limit: ZipLimits): Promise<EntryRead> {
  return entry.uncompressedSize <= SYNC_INFLATE_MAX_BYTES && entry.compressedSize <= SYNC_INFLATE_MAX_BYTES * 2 ? readSmallEntry(zipfile, entry, limit) : streamEntry(zipfile, entry, limit);
}

type EntryStream = NodeJS.ReadableStream & { destroy(): void };

async function openEntryStream(zipfile: yauzl.ZipFile, entry: YauzlEntry, raw: boolean) {
  // Only ever pass { decodeFileData: false }: yauzl 3.4 inverts an explicit `decodeFileData: true` for deflated
  // entries (`decompress = options.decodeFileData !== true`) and would hand back compressed bytes. Without
  // options it inflates. The option itself is yauzl 3 API that @types/yauzl (written for yauzl 2) does not know.
  const open = zipfile.openReadStream.bind(zipfile) as unknown as (entry: yauzl.Entry, ...rest: [{ decodeFileData: false }, OpenCallback] | [OpenCallback]) => void;
  return new Promise<EntryStream>((resolve, reject) => {
    const callback: OpenCallback = (error, stream) => (error || !stream ? reject(error) : resolve(stream));
    if (raw) open(entry, { decodeFileData: false }, callback);
    else open(entry, callback);
  });
}
type OpenCallback = (error: Error | null, stream?: EntryStream) => void;

/** Small entries: read the compressed bytes, inflate them in one call, check size and checksum. */
async function readSmallEntry(zipfile: yauzl.ZipFile, entry: YauzlEntry, limit: ZipLimits): Promise<EntryRead> {
  const rejected = (code: ZipEntryRejectionCode, message: string, inflatedBytes = 0): EntryRead => ({
    kind: "rejected",
    code,
    message,
    inflatedBytes,
  });
  let compressed: Buffer;
  try {
    const stream = await openEntryStream(zipfile, entry, true);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    compressed = Buffer.concat(chunks);
  } catch (error) {
    return rejected("corrupt", entryCorruptMessage(error));
  }
  let bytes: Buffer;
  if (entry.compressionMethod === 0) {
    bytes = compressed;
  } else {
    try {
      // maxOutputLength makes zlib stop at the declared size: real inflated bytes are bounded, whatever the data.
      bytes = inflateRawSync(compressed, { maxOutputLength: Math.max(1, entry.uncompressedSize) });
    } catch (error) {
      return rejected("corrupt", entryCorruptMessage(error), entry.uncompressedSize);
    }
  }
  if (bytes.length !== entry.uncompressedSize) {
    return rejected("corrupt", entryCorruptMessage(`inflates to ${bytes.length} bytes, header says ${entry.uncompressedSize}`));
  }
  if (bytes.length > limit.maxEntryBytes) {
    return rejected("too_large_bytes", `The entry is larger than ${megabytes(limit.maxEntryBytes)}.`, bytes.length);
  }
  if (bytes.length > limit.compressionRatioMinBytes && bytes.length / Math.max(1, compressed.length) > limit.maxCompressionRatio) {
    return rejected("compression_ratio", compressionRatioMessage(limit), bytes.length);
  }
  if (crc32(bytes) >>> 0 !== entry.crc32 >>> 0) return rejected("corrupt", CHECKSUM_MESSAGE, bytes.length);
  return { kind: "file", bytes, inflatedBytes: bytes.length };
}

const CHECKSUM_MESSAGE = "The entry's checksum does not match its content; the archive is damaged.";
const compressionRatioMessage = (limit: ZipLimits) => `The entry inflates more than ${limit.maxCompressionRatio} times its compressed size (a zip bomb?); aborted.`;

/** Large entries: inflate as a stream, counting real bytes and aborting as soon as a limit is crossed. */
async function streamEntry(zipfile: yauzl.ZipFile, entry: YauzlEntry, limit: ZipLimits): Promise<EntryRead> {
  let stream: EntryStream;
  try {
    stream = await openEntryStream(zipfile, entry, false);
  } catch (error) {
    return { kind: "rejected", code: "corrupt", message: entryCorruptMessage(error), inflatedBytes: 0 };
  }
  return new Promise<EntryRead>((resolve) => {
    const chunks: Buffer[] = [];
    let inflatedBytes = 0;
    let settled = false;
    const finish = (result: EntryRead) => {
      if (settled) return;
      settled = true;
      stream.removeAllListeners("data");
      if (result.kind === "rejected") stream.destroy();
      resolve(result);
    };
    const abort = (code: ZipEntryRejectionCode, message: string) => finish({ kind: "rejected", code, message, inflatedBytes });
    stream.on("data", (chunk: Buffer) => {
      inflatedBytes += chunk.length;
      if (inflatedBytes > limit.maxEntryBytes) {
        return abort("too_large_bytes", `The entry inflates to more than ${megabytes(limit.maxEntryBytes)}; aborted.`);
      }
      const ratio = inflatedBytes / Math.max(1, entry.compressedSize);
      if (inflatedBytes > limit.compressionRatioMinBytes && ratio > limit.maxCompressionRatio) {
        return abort("compression_ratio", compressionRatioMessage(limit));
      }
      chunks.push(chunk);
    });
    stream.on("error", (error: unknown) => abort("corrupt", entryCorruptMessage(error)));
    stream.on("end", () => {
      const bytes = Buffer.concat(chunks, inflatedBytes);
      // yauzl checks sizes but not checksums; a flipped bit in stored data would otherwise pass silently.
      if (crc32(bytes) >>> 0 !== entry.crc32 >>> 0) {
        return abort("corrupt", CHECKSUM_MESSAGE);
      }
      finish({ kind: "file", bytes, inflatedBytes });
    });
  });
}

function entryCorruptMessage(error: unknown): string {
  const detail = error instanceof Error ? error.message : String(error);
  return `The entry is damaged and cannot be extracted (${detail}).`;
}
