// Image embeddings (issue 17): the trainer posts each image's embedding from an encoder version; "more like this"
// finds an image's nearest neighbours among the project's images embedded by the same version.
//
// Storage is portable (float32 bytes in a column, PGlite and PostgreSQL alike; the PostgreSQL here has no pgvector).
// Search is exact cosine similarity, in one of two places (@fewlabel/db's vector-search.ts decides at start):
// - with pgvector, in the database: each embedding's unit-length copy sits in its vector table, and a query is one
//   scan of the version's copies ordered by inner product (`<#>`: cosine on unit vectors, without the norms);
// - otherwise in the web server's memory: a project's vectors are read once per (version, newest write) and kept as
//   one normalised Float32Array, so a query is one pass of dot products (100,000 images of 128 dimensions: 12.8
//   million multiply-adds, tens of milliseconds; bench/embedding-search.ts measures both).
// Images deleted since their version's vectors were read may still be found; callers keep the images that exist.
import { INSERT_VECTORS, type PrismaClient, unitLength, VECTOR_TABLE, vectorRows, vectorSearchOf } from "@fewlabel/db";
import { decodeVector } from "../embedding-vector";
import { LabellingError } from "./votes";

export interface PostedEmbedding {
  imageId: string;
  /** Float32 little-endian, base64 (../embedding-vector.ts). */
  vector: string;
}

/** Most embeddings one post stores (and the route's limit). */
export const MAX_EMBEDDINGS_PER_POST = 1000;

function vectorOf(b64: string): Float32Array {
  const v = decodeVector(b64);
  if (!v) throw new LabellingError("bad_request", "An embedding must be float32 values (a multiple of 4 bytes).");
  return v;
}

/**
 * Stores embeddings of the project's images from one of its model versions, replacing each image's older one. Images
 * that are not the project's are skipped; every vector must have the same length, finite values.
 */
export async function postEmbeddings(db: PrismaClient, projectId: string, modelVersionId: string, items: PostedEmbedding[]): Promise<{ stored: number; skipped: number }> {
  const vectors = items.map((i) => vectorOf(i.vector));
  const dim = vectors[0]?.length ?? 0;
  if (dim === 0 || dim > 4096 || vectors.some((v) => v.length !== dim)) throw new LabellingError("bad_request", "Embeddings must all have the same length, 1 to 4,096 values.");
  if (vectors.some((v) => v.some((x) => !Number.isFinite(x)))) throw new LabellingError("bad_request", "An embedding holds a value that is not a finite number.");
  return db.$transaction(async (tx) => {
    if (!(await tx.modelVersion.findFirst({ where: { id: modelVersionId, projectId }, select: { id: true } }))) throw new LabellingError("not_found", "Model version not found in this project.");
    const ids = [...new Set(items.map((i) => i.imageId))];
    const own = new Set((await tx.image.findMany({ where: { id: { in: ids }, projectId }, select: { id: true } })).map((i) => i.id));
    const seen = new Set<string>();
    const rows = items.flatMap((item, k) => {
      if (!own.has(item.imageId) || seen.has(item.imageId)) return [];
      seen.add(item.imageId);
      const v = vectors[k]!;
      return [{ imageId: item.imageId, projectId, modelVersionId, dim, vector: Uint8Array.from(Buffer.from(v.buffer, v.byteOffset, v.byteLength)), updatedAt: new Date() }];
    });
    // The old rows' vector-table copies go with them (ON DELETE CASCADE).
    await tx.imageEmbedding.deleteMany({ where: { imageId: { in: rows.map((r) => r.imageId) } } });
    await tx.imageEmbedding.createMany({ data: rows });
    if (rows.length > 0 && vectorSearchOf(db) === "pgvector") await tx.$executeRawUnsafe(INSERT_VECTORS, vectorRows(rows));
    return { stored: rows.length, skipped: items.length - rows.length };
  });
}

interface ProjectIndex {
  key: string;
  ids: string[];
  row: Map<string, number>;
  dim: number;
  /** ids.length x dim, each row of unit length (zero rows stay zero). */
  unit: Float32Array;
}
const indexes = new Map<string, ProjectIndex>();
/** Projects whose vectors stay in memory (100,000 images of 128 dimensions take 51 MB). */
const MAX_CACHED_PROJECTS = 4;

/** `key` changes whenever the version's embeddings in the project do (see similarImages). */
async function indexOf(db: PrismaClient, projectId: string, modelVersionId: string, key: string): Promise<ProjectIndex> {
  const cached = indexes.get(projectId);
  if (cached?.key === key) return cached;
  const rows = await db.imageEmbedding.findMany({ where: { projectId, modelVersionId }, select: { imageId: true, dim: true, vector: true }, orderBy: { imageId: "asc" } });
  const dim = rows[0]?.dim ?? 0;
  const unit = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => unitLength(new Float32Array(Uint8Array.from(r.vector).buffer), unit, i * dim));
  const ids = rows.map((r) => r.imageId);
  const index = { key, ids, row: new Map(ids.map((id, i) => [id, i])), dim, unit };
  // The projects searched most recently stay (a Map iterates in insertion order: the first is the oldest).
  indexes.delete(projectId);
  indexes.set(projectId, index);
  while (indexes.size > MAX_CACHED_PROJECTS) indexes.delete(indexes.keys().next().value!);
  return index;
}

/** The `k` nearest rows to row `q` by cosine similarity, most similar first (q itself excluded). */
export function nearestRows(unit: Float32Array, dim: number, q: number, k: number): { row: number; similarity: number }[] {
  const n = unit.length / dim;
  let best: { row: number; similarity: number }[] = [];
  let floor = -Infinity;
  const order = (x: { row: number; similarity: number }, y: { row: number; similarity: number }) => y.similarity - x.similarity || x.row - y.row;
  for (let r = 0; r < n; r++) {
    if (r === q) continue;
    let s = 0;
    for (let d = 0, a = r * dim, b = q * dim; d < dim; d++) s += unit[a + d]! * unit[b + d]!;
    if (s < floor) continue;
    best.push({ row: r, similarity: s });
    // Kept to k now and then (amortised), the floor rising as better ones come.
    if (best.length >= 2 * k) {
      best = best.sort(order).slice(0, k);
      floor = best[k - 1]!.similarity;
    }
  }
  return best.sort(order).slice(0, k);
}

/**
 * The images most like `imageId` (its embedding's nearest neighbours among the project's images embedded by the same
 * encoder version), most similar first; null when the image has no embedding yet.
 */
export async function similarImages(db: PrismaClient, projectId: string, imageId: string, k: number): Promise<{ imageId: string; similarity: number }[] | null> {
  // The image's version and that version's newest write, in one round trip: a post adds or replaces rows, each with
  // a new updatedAt, so the newest one keys the in-memory index (one lookup in the (project, version, updatedAt)
  // index, where a count would visit every row).
  const [own] = await db.$queryRawUnsafe<{ modelVersionId: string; newest: string }[]>(
    `SELECT e."modelVersionId" AS "modelVersionId",
            (SELECT max(n."updatedAt") FROM "ImageEmbedding" n WHERE n."projectId" = $2 AND n."modelVersionId" = e."modelVersionId")::text AS newest
     FROM "ImageEmbedding" e WHERE e."imageId" = $1 AND e."projectId" = $2`,
    imageId,
    projectId,
  );
  if (!own) return null;
  if (vectorSearchOf(db) === "pgvector") {
    const near = await nearestInDatabase(db, projectId, own.modelVersionId, imageId, k);
    if (near) return near;
  }
  const index = await indexOf(db, projectId, own.modelVersionId, `${own.modelVersionId}:${own.newest}`);
  const q = index.row.get(imageId);
  if (q === undefined) return null;
  return nearestRows(index.unit, index.dim, q, k).map((r) => ({ imageId: index.ids[r.row]!, similarity: r.similarity }));
}

/**
 * pgvector's exact scan of the version's copies, in nearestRows's order (similarity, then the image id: row order
 * there); null when it finds nothing, which the in-memory search then answers (the image has no copy, stored while
 * another server searched in memory, or has no neighbours at all).
 */
async function nearestInDatabase(db: PrismaClient, projectId: string, modelVersionId: string, imageId: string, k: number): Promise<{ imageId: string; similarity: number }[] | null> {
  const rows = await db.$queryRawUnsafe<{ imageId: string; negated: number }[]>(
    `SELECT v."imageId" AS "imageId", v."unit" <#> q."unit" AS negated
     FROM "${VECTOR_TABLE}" q JOIN "${VECTOR_TABLE}" v ON v."projectId" = $2 AND v."modelVersionId" = $3 AND v."imageId" <> q."imageId"
     WHERE q."imageId" = $1
     ORDER BY negated, v."imageId"
     LIMIT $4`,
    imageId,
    projectId,
    modelVersionId,
    k,
  );
  return rows.length ? rows.map((r) => ({ imageId: r.imageId, similarity: -Number(r.negated) })) : null;
}
