// Bulk inserts for ingest, in one SQL statement per batch. Prisma's createMany sends one bind parameter per cell
// (250 images x 15 columns), which PGlite parses and plans at ~2 ms per row; passing the whole batch as one JSON
// parameter and unpacking it with jsonb_to_recordset is an order of magnitude faster on PGlite and PostgreSQL alike.
import type { LabelSource, Prisma } from "@fewlabel/db";

export interface NewImageRow {
  id: string;
  projectId: string;
  contentHash: string;
  filename: string;
  format: string;
  width: number;
  height: number;
  byteSize: number;
  uploadedById: string;
  uploadId: string;
  labelClassId: string | null;
  labelSource: LabelSource | null;
  labelledById: string | null;
  labelledAt: string | null;
}

/** Inserts images, skipping content already in the project; returns the ids actually inserted. */
export async function insertImages(tx: Prisma.TransactionClient, rows: NewImageRow[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const inserted = await tx.$queryRaw<{ id: string }[]>`
    INSERT INTO "Image" ("id", "projectId", "contentHash", "filename", "format", "width", "height", "byteSize",
                         "uploadedById", "uploadId", "labelClassId", "labelSource", "labelledById", "labelledAt")
    SELECT x."id", x."projectId", x."contentHash", x."filename", x."format", x."width", x."height", x."byteSize",
           x."uploadedById", x."uploadId", x."labelClassId", x."labelSource"::"LabelSource", x."labelledById",
           x."labelledAt"::timestamp(3)
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(
      "id" text, "projectId" text, "contentHash" text, "filename" text, "format" text, "width" int, "height" int,
      "byteSize" int, "uploadedById" text, "uploadId" text, "labelClassId" text, "labelSource" text,
      "labelledById" text, "labelledAt" text)
    ON CONFLICT ("projectId", "contentHash") DO NOTHING
    RETURNING "id"`;
  return new Set(inserted.map((r) => r.id));
}

export interface NewAnnotationRow {
  projectId: string;
  imageId: string;
  classId: string | null;
  authorId: string | null;
  source: LabelSource;
  createdAt: string;
}

export async function insertAnnotations(tx: Prisma.TransactionClient, rows: NewAnnotationRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.$executeRaw`
    INSERT INTO "Annotation" ("projectId", "imageId", "classId", "authorId", "source", "createdAt")
    SELECT x."projectId", x."imageId", x."classId", x."authorId", x."source"::"LabelSource", x."createdAt"::timestamp(3)
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(
      "projectId" text, "imageId" text, "classId" text, "authorId" text, "source" text, "createdAt" text)`;
}
