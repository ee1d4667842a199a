// Where "more like this" searches image embeddings (issue 17): in the database with pgvector where the `vector`
// extension is present, otherwise in the web server's memory (packages/api's services/embeddings.ts, the portable
// path: PostgreSQL without pgvector, as on Debian 12's packages).
//
// The pgvector side lives in its own table, made at start rather than by a Prisma migration: the `vector` type
// exists only where the extension does, and a migration must apply on every PostgreSQL. Each row holds the unit-length
// copy of one ImageEmbedding row (with its project and version, so that a search scans this table alone) and goes with
// it (ON DELETE CASCADE), so a re-posted or deleted embedding can never leave a stale vector behind, whichever mode
// wrote it; embeddings stored without a copy (before pgvector was enabled) get theirs at start. The column has no
// fixed dimension: encoder versions differ, and a search compares only vectors of one version.
//
// `auto` takes pgvector on a PostgreSQL server that has it, and keeps PGlite's searches in memory: measured here
// (packages/api/bench/embedding-search.ts, 100,000 x 128), PGlite's pgvector, compiled to WebAssembly, scans in about
// twice the time of the in-memory pass (though on its own thread). FEWLABEL_VECTOR_SEARCH=pgvector asks for it there.
import type { PrismaClient } from "./generated/prisma/client";
import type { SqlRunner } from "./migrate";

export type VectorSearch = "pgvector" | "memory";
/** FEWLABEL_VECTOR_SEARCH: `auto` takes pgvector where the extension can be enabled. */
export type VectorSearchSetting = "auto" | VectorSearch;

export const VECTOR_TABLE = "ImageEmbeddingVector";

const settings: VectorSearchSetting[] = ["auto", "pgvector", "memory"];

export function resolveVectorSearchSetting(env: NodeJS.ProcessEnv = process.env): VectorSearchSetting {
  const raw = env.FEWLABEL_VECTOR_SEARCH?.trim() || "auto";
  if (!settings.includes(raw as VectorSearchSetting)) throw new Error(`FEWLABEL_VECTOR_SEARCH must be one of ${settings.join(", ")} (got "${raw}")`);
  return raw as VectorSearchSetting;
}

/**
 * Enables pgvector and its table when the setting asks for it and the database can: `auto` falls back to memory
 * (saying why), `pgvector` fails with the reason.
 */
export async function prepareVectorSearch(runner: SqlRunner, setting: VectorSearchSetting, kind: "pglite" | "postgres"): Promise<{ mode: VectorSearch; reason: string }> {
  if (setting === "memory") return { mode: "memory", reason: "FEWLABEL_VECTOR_SEARCH=memory" };
  if (setting === "auto" && kind === "pglite") return { mode: "memory", reason: "the embedded database's pgvector is slower than the in-memory search" };
  const available = await runner.query<{ name: string }>("SELECT name FROM pg_available_extensions WHERE name = 'vector'");
  let reason: string;
  if (available.length === 0) reason = "the database has no pgvector extension";
  else {
    reason = "";
    // Twice: servers starting together on one database can race to create the extension or the table.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await runner.exec("CREATE EXTENSION IF NOT EXISTS vector");
        await runner.exec(
          `CREATE TABLE IF NOT EXISTS "${VECTOR_TABLE}" (
             "imageId" TEXT PRIMARY KEY REFERENCES "ImageEmbedding"("imageId") ON DELETE CASCADE ON UPDATE CASCADE,
             "projectId" TEXT NOT NULL,
             "modelVersionId" TEXT NOT NULL,
             "unit" vector NOT NULL);
           CREATE INDEX IF NOT EXISTS "${VECTOR_TABLE}_projectId_modelVersionId_idx" ON "${VECTOR_TABLE}"("projectId", "modelVersionId")`,
        );
        await copyMissingVectors(runner);
        return { mode: "pgvector", reason: "pgvector" };
      } catch (err) {
        // For example a role that may not create extensions (pgvector is not a trusted extension).
        reason = `pgvector could not be enabled: ${(err as Error).message}`;
      }
    }
  }
  if (setting === "pgvector") throw new Error(`FEWLABEL_VECTOR_SEARCH=pgvector, but ${reason}`);
  return { mode: "memory", reason };
}

/** `v` scaled to unit length in float32 (a zero vector stays zero): what both search paths compare. */
export function unitLength(v: Float32Array, out = new Float32Array(v.length), at = 0): Float32Array {
  let norm = 0;
  for (let d = 0; d < v.length; d++) norm += v[d]! * v[d]!;
  const s = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let d = 0; d < v.length; d++) out[at + d] = v[d]! * s;
  return out;
}

/** The INSERT of vector-table rows from one JSON parameter (`[{ id, projectId, versionId, v: [numbers] }]`). */
export const INSERT_VECTORS = `INSERT INTO "${VECTOR_TABLE}" ("imageId", "projectId", "modelVersionId", "unit")
  SELECT x.id, x."projectId", x."versionId", (x.v::text)::vector FROM json_to_recordset($1::json) AS x(id text, "projectId" text, "versionId" text, v json)`;

/** A JSON array of numbers is pgvector's text form; each float32 prints exactly as a double and parses back to itself. */
export function vectorRows(rows: { imageId: string; projectId: string; modelVersionId: string; vector: Uint8Array }[]): string {
  return JSON.stringify(
    rows.map((r) => ({
      id: r.imageId,
      projectId: r.projectId,
      versionId: r.modelVersionId,
      v: Array.from(unitLength(new Float32Array(Uint8Array.from(r.vector).buffer))),
    })),
  );
}

/** Gives every stored embedding without a copy its copy, a thousand at a time. */
async function copyMissingVectors(runner: SqlRunner): Promise<void> {
  for (;;) {
    const rows = await runner.query<{ imageId: string; projectId: string; modelVersionId: string; vector: Uint8Array }>(
      `SELECT e."imageId", e."projectId", e."modelVersionId", e."vector" FROM "ImageEmbedding" e
       WHERE NOT EXISTS (SELECT 1 FROM "${VECTOR_TABLE}" v WHERE v."imageId" = e."imageId") LIMIT 1000`,
    );
    if (rows.length === 0) return;
    await runner.query(INSERT_VECTORS, [vectorRows(rows)]);
  }
}

const modes = new WeakMap<PrismaClient, VectorSearch>();

export function registerVectorSearch(prisma: PrismaClient, mode: VectorSearch): void {
  modes.set(prisma, mode);
}

/** How this client's database searches embeddings (memory for a client not opened by this package). */
export function vectorSearchOf(prisma: PrismaClient): VectorSearch {
  return modes.get(prisma) ?? "memory";
}
