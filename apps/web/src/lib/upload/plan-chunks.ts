// Splitting an upload into HTTP requests: the api's shared plan (packages/api/src/upload-plan.ts), which the ingest
// benchmark uses too, applied to the browser's files.
import { type Chunk as PlannedChunk, chunkLimits, planChunks as plan } from "@fewlabel/api/upload-plan";
import type { UploadItem } from "./collect-files";

export { chunkLimits, isArchive, isLabelCsv } from "@fewlabel/api/upload-plan";
export type Chunk = PlannedChunk<UploadItem>;

export function planChunks(items: UploadItem[], limits = chunkLimits): Chunk[] {
  return plan(items, (i) => i.file.size, limits);
}
