// The whole of one upload, independent of React: plan the requests, send label CSVs first and then the rest two at
// a time, and keep one running tally (bytes sent, images processed, what went in and what was refused).
import { uploadsInFlight as requestsInFlight } from "@fewlabel/api/upload-plan";
import type { UploadItem } from "./collect-files";
import { type Chunk, planChunks } from "./plan-chunks";
import { ChunkError, type DoneLine, type FileProblem, sendChunk } from "./send-chunk";

export { requestsInFlight };

export interface FailedBatch {
  message: string;
  files: number;
  firstPath: string;
}

export interface UploadTally {
  phase: "sending" | "finishing" | "done" | "cancelled";
  files: number;
  bytes: number;
  sentBytes: number;
  /** Images the server has processed so far (files inside archives included). */
  processed: number;
  /** Images expected in all; undefined while an archive's content is still unknown. */
  expected: number | undefined;
  chunksTotal: number;
  chunksDone: number;
  accepted: number;
  duplicates: number;
  labelled: number;
  rejected: FileProblem[];
  warnings: FileProblem[];
  failedBatches: FailedBatch[];
}

export interface RunUploadOptions {
  items: UploadItem[];
  start: () => Promise<string>;
  finish: (uploadId: string) => Promise<unknown>;
  onChange: (tally: UploadTally) => void;
  /** After each request that stored something, so the grid and counts can refresh. */
  onChunkStored?: () => void;
  signal?: AbortSignal;
  send?: typeof sendChunk;
}

const processedOf = (d: DoneLine) => d.accepted + d.duplicates + d.rejected.length;

export async function runUpload({ items, start, finish, onChange, onChunkStored, signal, send = sendChunk }: RunUploadOptions): Promise<UploadTally> {
  const chunks = planChunks(items);
  const sent = new Map<Chunk, number>();
  const processed = new Map<Chunk, number>();
  const finished = new Set<Chunk>();
  const tally: UploadTally = {
    phase: "sending",
    files: items.length,
    bytes: items.reduce((s, i) => s + i.file.size, 0),
    sentBytes: 0,
    processed: 0,
    expected: undefined,
    chunksTotal: chunks.length,
    chunksDone: 0,
    accepted: 0,
    duplicates: 0,
    labelled: 0,
    rejected: [],
    warnings: [],
    failedBatches: [],
  };
  const emit = () => {
    tally.sentBytes = [...sent.values()].reduce((a, b) => a + b, 0);
    tally.processed = [...processed.values()].reduce((a, b) => a + b, 0);
    const unknown = chunks.some((c) => c.archives && !finished.has(c));
    tally.expected = unknown ? undefined : chunks.reduce((s, c) => s + (finished.has(c) ? (processed.get(c) ?? 0) : c.items.length), 0);
    onChange({ ...tally, rejected: [...tally.rejected], warnings: [...tally.warnings], failedBatches: [...tally.failedBatches] });
  };
  emit();

  const uploadId = await start();
  let stop = false;

  const runChunk = async (chunk: Chunk) => {
    try {
      const done = await send(
        uploadId,
        chunk.items,
        {
          // The request body is slightly larger than the files (multipart framing): scale to the files' bytes.
          onSent: (loaded, total) => {
            sent.set(chunk, total > 0 ? Math.min(chunk.bytes, (loaded / total) * chunk.bytes) : 0);
            emit();
          },
          onProgress: (p) => {
            processed.set(chunk, p.processed);
            emit();
          },
        },
        signal,
      );
      tally.accepted += done.accepted;
      tally.duplicates += done.duplicates;
      tally.labelled += done.labelled;
      tally.rejected.push(...done.rejected);
      tally.warnings.push(...done.warnings);
      processed.set(chunk, processedOf(done));
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      const e = err instanceof ChunkError ? err : new ChunkError(String((err as Error).message ?? err), false);
      tally.failedBatches.push({ message: e.message, files: chunk.items.length, firstPath: chunk.items[0]?.path ?? "" });
      processed.set(chunk, 0);
      if (e.fatal) stop = true;
    } finally {
      sent.set(chunk, chunk.bytes);
      finished.add(chunk);
      tally.chunksDone++;
      emit();
    }
    if (!stop) onChunkStored?.();
  };

  try {
    for (const chunk of chunks.filter((c) => c.labels)) if (!stop) await runChunk(chunk);
    const queue = chunks.filter((c) => !c.labels);
    const worker = async () => {
      for (let c = queue.shift(); c && !stop; c = queue.shift()) await runChunk(c);
    };
    await Promise.all(Array.from({ length: requestsInFlight }, worker));
    tally.phase = "finishing";
    emit();
  } catch (err) {
    if ((err as Error).name !== "AbortError") throw err;
    tally.phase = "cancelled";
  }
  // Close the upload even after a cancel or failures, so its record shows what did go in.
  await finish(uploadId).catch(() => {});
  if (tally.phase !== "cancelled") tally.phase = "done";
  emit();
  return tally;
}
