// Fresh, isolated databases for tests: in-memory PGlite, or a throw-away database on the local PostgreSQL
// (TEST_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/postgres) dropped again on close.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { type Database, openPglite, openPostgres } from "./client";
import type { VectorSearchSetting } from "./vector-search";

export type TestDatabaseKind = "pglite" | "postgres";

export const testDatabaseKinds: TestDatabaseKind[] = ["pglite", "postgres"];

const adminUrl = () => process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

export async function openTestDatabase(kind: TestDatabaseKind, opts: { vectorSearch?: VectorSearchSetting } = {}): Promise<Database> {
  if (kind === "pglite") return openPglite(undefined, opts);
  const throwaway = await createThrowawayDatabase("fewlabel_test");
  const db = await openPostgres(throwaway.url, opts).catch(async (err) => {
    await throwaway.drop();
    throw err;
  });
  return {
    ...db,
    async close() {
      await db.close();
      await throwaway.drop();
    },
  };
}

/** A new, empty database on the local PostgreSQL for a process other than this one (benchmarks); drop() removes it. */
export async function createThrowawayDatabase(prefix = "fewlabel_bench"): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const a = new pg.Client({ connectionString: adminUrl() });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await a.end();
    },
  };
}
