// Export of a project's images and labels: CSV (filename,label,annotator,source,labelled_at), JSON, and an
// ImageNet-style folder zip (class_name/file) of the original images. Streams, so 100,000 images need no big buffer.
import path from "node:path";
import { Readable } from "node:stream";
import type { PrismaClient } from "@fewlabel/db";
import { type ImageStore, originalKey, toCsv, writeZip } from "@fewlabel/storage";

export type ExportFormat = "csv" | "json" | "zip";

interface ExportRow {
  filename: string;
  label: string;
  annotator: string;
  source: string;
  labelled_at: string;
  contentHash: string;
}

const PAGE = 1000;

async function* exportRows(db: PrismaClient, projectId: string): AsyncGenerator<ExportRow> {
  let cursor: string | undefined;
  for (;;) {
    const page = await db.image.findMany({
      // Images hidden as duplicates are not part of the dataset handed out.
      where: { projectId, hiddenAt: null },
      orderBy: { id: "asc" },
      take: PAGE,
      ...(cursor ? { skip: 1, cursor: { id: cursor } } : {}),
      select: {
        id: true,
        filename: true,
        contentHash: true,
        labelSource: true,
        labelledAt: true,
        labelClass: { select: { name: true } },
        // labelledById has no relation (a person may leave); resolved below.
        labelledById: true,
      },
    });
    if (page.length === 0) return;
    const authorIds = [...new Set(page.map((p) => p.labelledById).filter((x): x is string => !!x))];
    const authors = new Map((await db.user.findMany({ where: { id: { in: authorIds } }, select: { id: true, email: true } })).map((u) => [u.id, u.email]));
    for (const p of page) {
      yield {
        filename: p.filename,
        label: p.labelClass?.name ?? "",
        annotator: p.labelledById ? (authors.get(p.labelledById) ?? "") : "",
        source: p.labelSource?.toLowerCase() ?? "",
        labelled_at: p.labelledAt?.toISOString() ?? "",
        contentHash: p.contentHash,
      };
    }
    cursor = page[page.length - 1]!.id;
  }
}

const csvColumns = ["filename", "label", "annotator", "source", "labelled_at"] as const;

/** A filesystem-safe single path segment (class names and file names come from users). */
function safeSegment(s: string): string {
  const cleaned = s
    .replace(/[\\/:*?"<>|\x00-\x1f]/g, "_")
    .replace(/^\.+/, "_")
    .trim();
  return cleaned.slice(0, 150) || "_";
}

export function exportProject(services: { db: PrismaClient; store: ImageStore }, projectId: string, format: ExportFormat): Readable {
  const rows = exportRows(services.db, projectId);
  if (format === "csv") {
    return Readable.from(
      (async function* () {
        yield toCsv([[...csvColumns]]);
        for await (const r of rows) yield toCsv([csvColumns.map((c) => r[c])]);
      })(),
    );
  }
  if (format === "json") {
    return Readable.from(
      (async function* () {
        yield "[";
        let first = true;
        for await (const { contentHash, ...r } of rows) {
          yield (first ? "\n" : ",\n") + JSON.stringify({ ...r, sha256: contentHash });
          first = false;
        }
        yield "\n]\n";
      })(),
    );
  }
  const used = new Set<string>();
  return writeZip(
    (async function* () {
      for await (const r of rows) {
        const folder = r.label ? safeSegment(r.label) : "_unlabelled";
        const base = safeSegment(path.posix.basename(r.filename));
        let name = `${folder}/${base}`;
        // Two different images with the same file name in one class: keep both.
        if (used.has(name)) name = `${folder}/${r.contentHash.slice(0, 12)}-${base}`;
        used.add(name);
        yield { path: name, data: services.store.createReadStream(originalKey(r.contentHash)) };
      }
    })(),
  );
}
