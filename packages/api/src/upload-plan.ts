// How a client splits an upload into requests: small enough that a failed request costs little and progress is
// steady, and label CSVs first, in requests of their own, so that images arriving later already find their labels.
// An oversized file travels alone. Pure and browser-safe: the web UI and `npm run bench:ingest` both use it, so the
// benchmark measures the path users take.
export const chunkLimits = { files: 300, bytes: 16 * 1024 * 1024 };

/** Requests in flight at once (after the label CSVs, which go first). */
export const uploadsInFlight = 2;

export interface Chunk<T> {
  items: T[];
  bytes: number;
  /** Holds label CSVs: sent and finished before any image request starts. */
  labels: boolean;
  /** Holds zip archives, whose number of images is unknown until the server opens them. */
  archives: boolean;
}

export const isLabelCsv = (path: string) => /\.csv$/i.test(path);
export const isArchive = (path: string) => /\.zip$/i.test(path);

function pack<T extends { path: string }>(items: T[], sizeOf: (item: T) => number, labels: boolean, limits: typeof chunkLimits): Chunk<T>[] {
  const chunks: Chunk<T>[] = [];
  let current: Chunk<T> | undefined;
  for (const item of items) {
    const size = sizeOf(item);
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

export function planChunks<T extends { path: string }>(items: readonly T[], sizeOf: (item: T) => number, limits = chunkLimits): Chunk<T>[] {
  const csv = items.filter((i) => isLabelCsv(i.path));
  const rest = items.filter((i) => !isLabelCsv(i.path));
  return [...pack(csv, sizeOf, true, limits), ...pack(rest, sizeOf, false, limits)];
}

/** Runs `send` over the chunks with at most `inFlight` requests at once; resolves with results in chunk order. */
export async function sendChunks<T, R>(chunks: readonly T[], inFlight: number, send: (chunk: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(chunks.length);
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      const i = next++;
      results[i] = await send(chunks[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, chunks.length) }, worker));
  return results;
}
