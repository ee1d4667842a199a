// Image ingest: turns the files of one upload request (loose images, .zip archives, filename,label CSVs) into stored
// images with thumbnails and training copies, in batches, and reports per file what went in and what was refused
// and why. The UI's upload route and `npm run bench:ingest` both come through `ingestFiles`.
import { stripControlCharacters } from "../text";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import type { LabelSource, Prisma, PrismaClient, Role } from "@fewlabel/db";
import {
  ArchiveError,
  createCsvLabelLookup,
  decodeImage,
  type DecodedImage,
  ImageRejectedError,
  type ImageStore,
  labelFromFolderPath,
  mapConcurrent,
  parseLabelsCsv,
  readZipArchive,
  storeDecodedImage,
} from "@fewlabel/storage";
import { trainingCopySideOf } from "../context";
import { roleAtLeast } from "../roles";
import { insertAnnotations, insertImages, type NewImageRow } from "./bulk-insert";
import { lockBlobsShared, restoreMissingBlobs } from "./project-files";
import { palette } from "../routers/classes";

/** One file as it arrived: a loose image or CSV in memory, or an archive spooled to disk. */
/** A file of an upload: in memory, or spooled to disk as it arrived (read back when its turn comes), or a zip archive. */
export type IncomingFile = { path: string; bytes: Buffer } | { path: string; spooledFile: string } | { path: string; archiveFile: string };

export interface Rejection {
  path: string;
  code: string;
  message: string;
}

export interface IngestSummary {
  accepted: number;
  duplicates: number;
  labelled: number;
  rejected: Rejection[];
  warnings: Rejection[];
}

export interface IngestTarget {
  projectId: string;
  uploadId: string;
  userId: string;
  role: Role;
}

export interface IngestOptions {
  /** Called after every processed image with the running totals. */
  onProgress?: (processed: number, summary: IngestSummary) => void;
  /** Images decoded at once; sharp runs each on libuv's thread pool. */
  concurrency?: number;
  batchSize?: number;
}

const IMAGE_BATCH = 250;
/** Per request, so that a hostile archive cannot bloat the upload's row. */
const MAX_KEPT_REJECTIONS = 2000;

interface Candidate {
  path: string;
  bytes: Buffer;
  label: string | null;
}

type Decoded = { ok: true; path: string; label: string | null; image: DecodedImage } | { ok: false; rejection: Rejection };

export const normaliseLabel = (name: string) => name.trim().toLowerCase();

/** Resolves label names to class ids, creating classes on the fly when the uploader owns the project. */
class ClassResolver {
  private byName = new Map<string, string>();
  private constructor(
    private db: PrismaClient,
    private target: IngestTarget,
    private nextPosition: number,
  ) {}

  static async load(db: PrismaClient, target: IngestTarget) {
    const classes = await db.labelClass.findMany({ where: { projectId: target.projectId }, select: { id: true, name: true } });
    const r = new ClassResolver(db, target, classes.length);
    for (const c of classes) r.byName.set(normaliseLabel(c.name), c.id);
    return r;
  }

  async resolve(label: string): Promise<string | { warning: string }> {
    const key = normaliseLabel(label);
    const known = this.byName.get(key);
    if (known) return known;
    if (!roleAtLeast(this.target.role, "OWNER")) {
      return { warning: `Class "${label}" does not exist in this project and only owners can add classes; the image went in unlabelled.` };
    }
    const name = label.trim().slice(0, 80);
    const created = await this.db.labelClass.upsert({
      where: { projectId_name: { projectId: this.target.projectId, name } },
      update: {},
      create: { projectId: this.target.projectId, name, color: palette[this.nextPosition % palette.length]!, position: this.nextPosition },
      select: { id: true },
    });
    this.nextPosition++;
    this.byName.set(key, created.id);
    return created.id;
  }
}

/** filename -> label from the CSVs of an upload, matched to image paths by storage's documented rules. */
class CsvLabels {
  private lookup: ((imagePath: string) => string | undefined) | undefined;
  constructor(readonly byFilename: Record<string, string>) {}

  get size() {
    return Object.keys(this.byFilename).length;
  }

  merge(bytes: Buffer, csvPath: string, summary: IngestSummary) {
    const parsed = parseLabelsCsv(bytes.toString("utf8"));
    for (const e of parsed.errors) summary.warnings.push({ path: `${csvPath}:${e.line}`, code: "csv", message: e.message });
    for (const entry of parsed.entries) {
      const filename = stripControlCharacters(entry.filename),
        label = stripControlCharacters(entry.label);
      if (filename && label) this.byFilename[filename] ??= label;
    }
    this.lookup = undefined;
  }

  labelFor(imagePath: string): string | undefined {
    this.lookup ??= createCsvLabelLookup(Object.entries(this.byFilename).map(([filename, label]) => ({ line: 0, filename, label })));
    return this.lookup(imagePath);
  }
}

async function* expandFiles(files: AsyncIterable<IncomingFile>, summary: IngestSummary, csv: CsvLabels): AsyncGenerator<Candidate> {
  for await (const file of files) {
    if ("archiveFile" in file) {
      try {
        for await (const zipped of readZipArchive(file.archiveFile)) {
          // Entry names are the archive author's: no control or bidi-override characters past this point.
          const entry = { ...zipped, path: stripControlCharacters(zipped.path) || "unnamed" };
          const entryPath = `${file.path}/${entry.path}`;
          if (entry.kind === "rejected") {
            summary.rejected.push({ path: entryPath, code: entry.code, message: entry.message });
          } else if (/\.csv$/i.test(entry.path)) {
            csv.merge(entry.bytes, entryPath, summary);
          } else {
            yield { path: entry.path, bytes: entry.bytes, label: labelFromFolderPath(entry.path) };
          }
        }
      } catch (err) {
        summary.rejected.push({ path: file.path, code: err instanceof ArchiveError ? err.code : "corrupt_archive", message: (err as Error).message });
      }
    } else {
      const bytes = "spooledFile" in file ? await fs.promises.readFile(file.spooledFile) : file.bytes;
      if (/\.csv$/i.test(file.path)) csv.merge(bytes, file.path, summary);
      else yield { path: file.path, bytes, label: labelFromFolderPath(file.path) };
    }
  }
}

/**
 * Ingests the files of one request into `target.uploadId`'s upload. Never throws for a bad file: each refused file is
 * listed in the summary with its reason, and every good file goes in.
 */
export async function ingestFiles(
  services: { db: PrismaClient; store: ImageStore; trainingCopySide?: number },
  target: IngestTarget,
  files: AsyncIterable<IncomingFile>,
  options: IngestOptions = {},
): Promise<IngestSummary> {
  const { db, store } = services;
  const copySide = trainingCopySideOf(services);
  const summary: IngestSummary = { accepted: 0, duplicates: 0, labelled: 0, rejected: [], warnings: [] };
  const upload = await db.upload.findUniqueOrThrow({ where: { id: target.uploadId }, select: { csvLabels: true } });
  const csv = new CsvLabels({ ...(upload.csvLabels as Record<string, string>) });
  const csvBefore = csv.size;
  const classes = await ClassResolver.load(db, target);
  let processed = 0;
  let batch: Extract<Decoded, { ok: true }>[] = [];
  // One batch insert runs in the background while the next images decode; a second waits for the first, so batches
  // commit in order and memory stays bounded.
  let inserting: Promise<void> = Promise.resolve();

  const flush = async () => {
    if (batch.length === 0) return;
    const pending = batch;
    batch = [];
    await inserting;
    inserting = insertBatch(db, store, target, pending, classes, csv, summary);
    // Handled when awaited (next flush or the end); this keeps a failure from counting as unhandled meanwhile.
    inserting.catch(() => {});
  };

  const decoded = mapConcurrent(expandFiles(files, summary, csv), options.concurrency ?? 4, async (c): Promise<Decoded> => {
    try {
      const image = await decodeImage(c.bytes, { trainingMaxSide: copySide });
      await storeDecodedImage(store, image);
      return { ok: true, path: c.path, label: c.label, image };
    } catch (err) {
      if (err instanceof ImageRejectedError) return { ok: false, rejection: { path: c.path, code: err.code, message: err.message } };
      return { ok: false, rejection: { path: c.path, code: "error", message: `Could not store this image: ${(err as Error).message}` } };
    }
  });

  for await (const d of decoded) {
    processed++;
    if (d.ok) batch.push(d);
    else summary.rejected.push(d.rejection);
    if (batch.length >= (options.batchSize ?? IMAGE_BATCH)) await flush();
    options.onProgress?.(processed, summary);
  }
  await flush();
  await inserting;

  if (csv.size !== csvBefore) {
    // A CSV can arrive after (some of) the images it names: label those already in this upload.
    summary.labelled += await applyCsvToUpload(db, target, csv, classes, summary);
  }
  // One atomic statement: several requests of the same upload may finish at the same moment.
  await db.$executeRaw`
    UPDATE "Upload" SET
      accepted = accepted + ${summary.accepted},
      duplicates = duplicates + ${summary.duplicates},
      labelled = labelled + ${summary.labelled},
      "csvLabels" = "csvLabels" || ${JSON.stringify(csv.byFilename)}::jsonb,
      rejected = rejected || ${JSON.stringify(summary.rejected.slice(0, MAX_KEPT_REJECTIONS))}::jsonb
    WHERE id = ${target.uploadId}`;
  return summary;
}

async function insertBatch(db: PrismaClient, store: ImageStore, target: IngestTarget, batch: Extract<Decoded, { ok: true }>[], classes: ClassResolver, csv: CsvLabels, summary: IngestSummary) {
  // Same content twice in one batch, or already in the project: one image.
  const unique = new Map<string, (typeof batch)[number]>();
  for (const d of batch) {
    if (unique.has(d.image.hash)) summary.duplicates++;
    else unique.set(d.image.hash, d);
  }
  const existing = await db.image.findMany({
    where: { projectId: target.projectId, contentHash: { in: [...unique.keys()] } },
    select: { id: true, contentHash: true, labelClassId: true },
  });
  const existingByHash = new Map(existing.map((e) => [e.contentHash, e]));
  // timestamp(3) columns hold UTC wall-clock time, as Prisma writes them.
  const now = new Date().toISOString().replace("Z", "");
  const images: NewImageRow[] = [];
  const relabel: { imageId: string; classId: string }[] = [];

  for (const d of unique.values()) {
    const labelName = csv.labelFor(d.path) ?? d.label;
    let classId: string | null = null;
    if (labelName) {
      const resolved = await classes.resolve(labelName);
      if (typeof resolved === "string") classId = resolved;
      else summary.warnings.push({ path: d.path, code: "unknown_class", message: resolved.warning });
    }
    const already = existingByHash.get(d.image.hash);
    if (already) {
      summary.duplicates++;
      // A re-upload that brings a label for a still-unlabelled image labels it.
      if (classId && !already.labelClassId) relabel.push({ imageId: already.id, classId });
      continue;
    }
    images.push({
      id: randomUUID(),
      projectId: target.projectId,
      contentHash: d.image.hash,
      filename: d.path.slice(0, 1000),
      format: d.image.format,
      width: d.image.width,
      height: d.image.height,
      byteSize: d.image.bytes.length,
      uploadedById: target.userId,
      uploadId: target.uploadId,
      labelClassId: classId,
      labelSource: classId ? "IMPORT" : null,
      labelledById: classId ? target.userId : null,
      labelledAt: classId ? now : null,
    });
  }

  let inserted = new Set<string>();
  await db.$transaction(async (tx) => {
    // Rows land under the files' shared lock: a project deletion collecting the same content waits (project-files.ts).
    await lockBlobsShared(tx);
    // ON CONFLICT DO NOTHING: a concurrent request may have inserted the same content a moment ago.
    inserted = await insertImages(tx, images);
    summary.accepted += inserted.size;
    summary.duplicates += images.length - inserted.size;
    const labelled = images.filter((i) => i.labelClassId && inserted.has(i.id));
    await insertAnnotations(
      tx,
      labelled.map((i) => ({ projectId: target.projectId, imageId: i.id, classId: i.labelClassId, authorId: target.userId, source: "IMPORT", createdAt: now })),
    );
    summary.labelled += labelled.length + (await applyLabels(tx, target, relabel, "IMPORT"));
  });
  // A deletion that collected these files between their write and the rows' commit: write them again.
  const byHash = new Map([...unique.values()].map((d) => [d.image.hash, d.image]));
  await restoreMissingBlobs(
    store,
    images.filter((i) => inserted.has(i.id)).map((i) => byHash.get(i.contentHash)!),
  );
}

/** Sets the current label of still-unlabelled images and records each change in the history. */
export async function applyLabels(
  tx: Prisma.TransactionClient,
  target: Pick<IngestTarget, "projectId" | "userId">,
  labels: { imageId: string; classId: string }[],
  source: LabelSource,
): Promise<number> {
  if (labels.length === 0) return 0;
  const now = new Date();
  let changed = 0;
  const byClass = new Map<string, string[]>();
  for (const l of labels) byClass.set(l.classId, [...(byClass.get(l.classId) ?? []), l.imageId]);
  for (const [classId, imageIds] of byClass) {
    const candidates = await tx.image.findMany({
      where: { id: { in: imageIds }, projectId: target.projectId, labelClassId: null },
      select: { id: true },
    });
    const ids = candidates.map((c) => c.id);
    if (ids.length === 0) continue;
    await tx.image.updateMany({
      where: { id: { in: ids } },
      data: { labelClassId: classId, labelSource: source, labelledById: target.userId, labelledAt: now },
    });
    await insertAnnotations(
      tx,
      ids.map((imageId) => ({ projectId: target.projectId, imageId, classId, authorId: target.userId, source, createdAt: now.toISOString().replace("Z", "") })),
    );
    changed += ids.length;
  }
  return changed;
}

async function applyCsvToUpload(db: PrismaClient, target: IngestTarget, csv: CsvLabels, classes: ClassResolver, summary: IngestSummary): Promise<number> {
  const unlabelled = await db.image.findMany({
    where: { uploadId: target.uploadId, labelClassId: null },
    select: { id: true, filename: true },
  });
  const labels: { imageId: string; classId: string }[] = [];
  for (const img of unlabelled) {
    const name = csv.labelFor(img.filename);
    if (!name) continue;
    const resolved = await classes.resolve(name);
    if (typeof resolved === "string") labels.push({ imageId: img.id, classId: resolved });
    else summary.warnings.push({ path: img.filename, code: "unknown_class", message: resolved.warning });
  }
  return db.$transaction((tx) => applyLabels(tx, target, labels, "IMPORT"));
}
