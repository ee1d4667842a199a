// How a client splits an upload into requests: CSV label files first (so later images find their labels), then
// batches of at most `maxFiles` files or `maxBytes` bytes (an oversized file travels alone). Pure and browser-safe:
// the web UI and `npm run bench:ingest` both use it, so the benchmark measures the path users take.
export interface PlannedFile {
  path: string;
  size: number;
}

export const defaultUploadPlan = { maxFiles: 300, maxBytes: 16 * 1024 * 1024, inFlight: 2 };

export function planUploadBatches<T extends PlannedFile>(files: readonly T[], limits: { maxFiles: number; maxBytes: number } = defaultUploadPlan): T[][] {
  const ordered = [...files].sort((a, b) => Number(/\.csv$/i.test(b.path)) - Number(/\.csv$/i.test(a.path)));
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const f of ordered) {
    if (current.length > 0 && (current.length >= limits.maxFiles || bytes + f.size > limits.maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(f);
    bytes += f.size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** Runs `send` over the batches with at most `inFlight` requests at once; resolves with results in batch order. */
export async function sendBatches<T, R>(batches: readonly T[], inFlight: number, send: (batch: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(batches.length);
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const i = next++;
      results[i] = await send(batches[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, batches.length) }, worker));
  return results;
}
