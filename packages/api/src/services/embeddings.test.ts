// "More like this" in its two places (issue 17): pgvector in the database (PGlite's own extension here; the
// PostgreSQL here has none) and the web server's memory. Both must give the same neighbours in the same order; an
// embedding stored without its vector-table copy is still searched (in memory) and gets its copy at the next start;
// pgvector is used only where the database has it, and asking for it where it is missing fails with the reason.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type Database, openPglite, VECTOR_TABLE } from "@fewlabel/db";
import { openTestDatabase } from "@fewlabel/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeVector } from "../embedding-vector";
import { postEmbeddings, similarImages } from "./embeddings";

const N = 400;
const DIM = 24;

/** Deterministic vectors; 5, 6 and 7 are one direction at three lengths (ties, broken by image id), 9 is zero. */
function vectors(): number[][] {
  let seed = 11;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const out = Array.from({ length: N }, () => Array.from({ length: DIM }, rand));
  out[6] = out[5]!.map((x) => x * 2);
  out[7] = out[5]!.map((x) => x * 0.5);
  out[9] = new Array(DIM).fill(0);
  return out;
}

const imageIds = Array.from({ length: N }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);

/** A project with N images and an encoder version; the embeddings posted through postEmbeddings unless `direct`. */
async function seed(db: Database, name: string, opts: { direct?: boolean } = {}): Promise<{ projectId: string; versionId: string }> {
  const project = await db.prisma.project.create({ data: { name } });
  const version = await db.prisma.modelVersion.create({ data: { projectId: project.id, version: 1, stage: "PRETRAIN" } });
  const ids = imageIds.map((id) => `${id.slice(0, 9)}${name.length.toString(16)}${id.slice(10)}`);
  await db.prisma.image.createMany({
    data: ids.map((id, i) => ({ id, projectId: project.id, contentHash: `h${name}${i}`, filename: `${i}.png`, format: "png", width: 8, height: 8, byteSize: 100 })),
  });
  const vs = vectors();
  if (opts.direct) {
    await db.prisma.imageEmbedding.createMany({
      data: ids.map((imageId, i) => ({ imageId, projectId: project.id, modelVersionId: version.id, dim: DIM, vector: Uint8Array.from(Buffer.from(new Float32Array(vs[i]!).buffer)) })),
    });
  } else {
    for (let at = 0; at < N; at += 150) {
      const items = ids.slice(at, at + 150).map((imageId, j) => ({ imageId, vector: encodeVector(vs[at + j]!) }));
      expect(await postEmbeddings(db.prisma, project.id, version.id, items)).toEqual({ stored: items.length, skipped: 0 });
    }
  }
  return { projectId: project.id, versionId: version.id };
}

/** Neighbours by position in the project (ids differ between projects only in one digit). */
async function neighbours(db: Database, projectId: string, q: number, k = 30) {
  const ids = (await db.prisma.image.findMany({ where: { projectId }, select: { id: true }, orderBy: { filename: "asc" } })).map((i) => i.id);
  const byId = new Map((await db.prisma.image.findMany({ where: { projectId }, select: { id: true, filename: true } })).map((i) => [i.id, Number.parseInt(i.filename, 10)]));
  expect(ids).toHaveLength(N);
  const qId = [...byId].find(([, i]) => i === q)![0];
  return (await similarImages(db.prisma, projectId, qId, k))!.map((n) => ({ i: byId.get(n.imageId)!, similarity: n.similarity }));
}

describe("similar images with pgvector and in memory", () => {
  let withPgvector: Database, inMemory: Database;
  let pgProject: string, memProject: string;

  beforeAll(async () => {
    [withPgvector, inMemory] = await Promise.all([openTestDatabase("pglite", { vectorSearch: "pgvector" }), openTestDatabase("pglite", { vectorSearch: "memory" })]);
    expect(withPgvector.vectorSearch.mode).toBe("pgvector");
    expect(inMemory.vectorSearch.mode).toBe("memory");
    pgProject = (await seed(withPgvector, "pgvector")).projectId;
    memProject = (await seed(inMemory, "memory")).projectId;
  });

  afterAll(async () => {
    await Promise.all([withPgvector?.close(), inMemory?.close()]);
  });

  it("keeps each posted embedding's unit-length copy in the vector table, and none in memory mode", async () => {
    const rows = await withPgvector.prisma.$queryRawUnsafe<{ n: number; norm: number }[]>(
      `SELECT count(*)::int AS n, max(abs(vector_norm(v."unit") - 1)) AS norm FROM "${VECTOR_TABLE}" v JOIN "ImageEmbedding" e USING ("imageId") WHERE e."projectId" = $1 AND NOT e."imageId" LIKE '%000000000009'`,
      pgProject,
    );
    expect(rows[0]!.n).toBe(N - 1);
    expect(rows[0]!.norm).toBeLessThan(1e-6);
    const zero = await withPgvector.prisma.$queryRawUnsafe<{ norm: number }[]>(`SELECT vector_norm("unit") AS norm FROM "${VECTOR_TABLE}" WHERE "imageId" LIKE '%000000000009'`);
    expect(zero.map((z) => z.norm)).toEqual([0]);
    expect(await inMemory.prisma.$queryRawUnsafe(`SELECT to_regclass('"${VECTOR_TABLE}"') IS NULL AS absent`)).toEqual([{ absent: true }]);
  });

  it("finds the same neighbours in the same order either way, ties by image id", async () => {
    for (const q of [0, 5, 9, 123, 399]) {
      const [a, b] = [await neighbours(withPgvector, pgProject, q), await neighbours(inMemory, memProject, q)];
      expect(a.map((n) => n.i)).toEqual(b.map((n) => n.i));
      a.forEach((n, j) => expect(n.similarity).toBeCloseTo(b[j]!.similarity, 5));
      expect(a.map((n) => n.i)).not.toContain(q);
    }
    // 5's copies at other lengths come first, at similarity 1, in id order.
    expect((await neighbours(withPgvector, pgProject, 5, 2)).map((n) => n.i)).toEqual([6, 7]);
    expect((await neighbours(withPgvector, pgProject, 5, 2))[0]!.similarity).toBeCloseTo(1, 5);
  });

  it("reads the vector table when it searches with pgvector", async () => {
    // Image 200's copy turned into image 0's direction: only a search in the database sees it.
    const [zeroId, otherId] = await Promise.all(
      ["0.png", "200.png"].map(async (filename) => (await withPgvector.prisma.image.findFirstOrThrow({ where: { projectId: pgProject, filename }, select: { id: true } })).id),
    );
    await withPgvector.prisma.$executeRawUnsafe(`UPDATE "${VECTOR_TABLE}" SET "unit" = (SELECT "unit" FROM "${VECTOR_TABLE}" WHERE "imageId" = $1) WHERE "imageId" = $2`, zeroId, otherId);
    expect((await neighbours(withPgvector, pgProject, 0, 1))[0]!.i).toBe(200);
    // A re-post replaces the copy (the old one goes with its embedding row).
    await postEmbeddings(withPgvector.prisma, pgProject, (await withPgvector.prisma.modelVersion.findFirstOrThrow({ where: { projectId: pgProject } })).id, [
      { imageId: otherId!, vector: encodeVector(vectors()[200]!) },
    ]);
    expect((await neighbours(withPgvector, pgProject, 0)).map((n) => n.i)).toEqual((await neighbours(inMemory, memProject, 0)).map((n) => n.i));
  });

  it("searches a version without vector-table copies in memory, with the same answer", async () => {
    const { projectId } = await seed(withPgvector, "direct-rows", { direct: true });
    expect((await neighbours(withPgvector, projectId, 123)).map((n) => n.i)).toEqual((await neighbours(inMemory, memProject, 123)).map((n) => n.i));
  });
});

describe("where pgvector is used", () => {
  it("gives embeddings stored before pgvector was enabled their copies at start", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fewlabel-vectors-"));
    try {
      const before = await openPglite(dir, { vectorSearch: "memory" });
      const { projectId } = await seed(before, "stored-before");
      const expected = await neighbours(before, projectId, 42);
      await before.close();
      const after = await openPglite(dir, { vectorSearch: "pgvector" });
      try {
        expect(await after.prisma.$queryRawUnsafe(`SELECT count(*)::int AS n FROM "${VECTOR_TABLE}" WHERE "projectId" = $1`, projectId)).toEqual([{ n: N }]);
        const found = await neighbours(after, projectId, 42);
        expect(found.map((n) => n.i)).toEqual(expected.map((n) => n.i));
        found.forEach((n, j) => expect(n.similarity).toBeCloseTo(expected[j]!.similarity, 5));
      } finally {
        await after.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps PGlite's searches in memory by default, and the portable path where the database has no pgvector", async () => {
    const pglite = await openTestDatabase("pglite");
    expect(pglite.vectorSearch).toEqual({ mode: "memory", reason: "the embedded database's pgvector is slower than the in-memory search" });
    await pglite.close();
    const postgres = await openTestDatabase("postgres");
    try {
      const available = (await postgres.prisma.$queryRawUnsafe<unknown[]>("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")).length > 0;
      // Debian 12's PostgreSQL (these machines, CI) has no pgvector package; where one has it, auto takes it.
      expect(postgres.vectorSearch).toMatchObject(available ? { mode: "pgvector" } : { mode: "memory", reason: "the database has no pgvector extension" });
      if (!available) await expect(openTestDatabase("postgres", { vectorSearch: "pgvector" })).rejects.toThrow(/FEWLABEL_VECTOR_SEARCH=pgvector, but the database has no pgvector extension/);
    } finally {
      await postgres.close();
    }
  });
});
