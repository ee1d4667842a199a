// Splitting an upload into HTTP requests: small enough that a failed request costs little and progress is steady,
// and label CSVs first, in requests of their own, so that images arriving later already find their labels.
import type { UploadItem } from "./collect-files";

export const chunkLimits = { files: 300, bytes: 16 * 1024 * 1024 };

export interface Chunk {
  items: UploadItem[];
  bytes: number;
  /** Holds label CSVs: sent and finished before any image request starts. */
  labels: boolean;
  /** Holds zip archives, whose number of images is unknown until the server opens them. */
  archives: boolean;
}

export const isLabelCsv = (path: string) => /\.csv$/i.test(path);
export const isArchive = (path: string) => /\.zip$/i.test(path);

function pack(items: UploadItem[], labels: boolean, limits: typeof chunkLimits): Chunk[] {
  const chunks: Chunk[] = [];
  let current: Chunk | undefined;
  for (const item of items) {
    const size = item.file.size;
    if (!current || current.items.length >= limits.files || (current.items.length > 0 && current.bytes + size > limits.bytes)) {
      current = { items: [], bytes: 0, labels, archives: false };
      chunks.push(current);
    }
    current.items.push(item);
    current.bytes += size;
    current.archives ||= isArchive(item.path);
  }
  return chunks;
}

export function planChunks(items: UploadItem[], limits = chunkLimits): Chunk[] {
  const csv = items.filter((i) => isLabelCsv(i.path));
  const rest = items.filter((i) => !isLabelCsv(i.path));
  return [...pack(csv, true, limits), ...pack(rest, false, limits)];
}
