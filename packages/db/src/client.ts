// Opens fewlabel's database: embedded PGlite (default) or PostgreSQL (DATABASE_URL), migrated to the latest
// committed migration, behind one Prisma client (Rust-free client + driver adapters: no engine binary anywhere).
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { type DatabaseConfig, resolveDatabaseConfig } from "./config";
import { lockDataDirectory } from "./lock";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite/vector";
import { applyMigrations, type SqlRunner } from "./migrate";
import { PGliteThread } from "./pglite-thread";
import { PrismaClient } from "./generated/prisma/client";
import { prepareVectorSearch, registerVectorSearch, type VectorSearch, type VectorSearchSetting } from "./vector-search";

export interface Database {
  prisma: PrismaClient;
  kind: DatabaseConfig["kind"];
  /** Where "more like this" searches embeddings (vector-search.ts), and why. */
  vectorSearch: { mode: VectorSearch; reason: string };
  /** Human description for logs, without credentials. */
  describe: string;
  close(): Promise<void>;
}

function pgliteRunner(client: PGliteThread | PGlite): SqlRunner {
  return {
    exec: async (sql) => {
      await client.exec(sql);
    },
    query: async <T>(sql: string, params?: unknown[]) => (await client.query<T>(sql, params)).rows,
  };
}

function pgRunner(client: pg.Client): SqlRunner {
  return {
    exec: async (sql) => {
      await client.query(sql);
    },
    query: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[],
  };
}

/**
 * Opens an embedded database: `dataDir` on disk (locked to this process), or in memory when undefined. PGlite (PostgreSQL
 * compiled to WebAssembly) runs on a worker thread (PGliteThread) unless `thread` is false, so statements never block
 * the server's event loop.
 */
export async function openPglite(dataDir: string | undefined, opts: { thread?: boolean; vectorSearch?: VectorSearchSetting } = {}): Promise<Database> {
  const release = dataDir ? await lockDataDirectory(dataDir) : async () => {};
  let client: PGliteThread | PGlite | undefined;
  let vectorSearch: Database["vectorSearch"];
  try {
    // In process only where asked (bench:realtime's comparison): the thread is what the product runs. Both load
    // PGlite's own pgvector (a 46 kB bundle in the npm package, nothing downloaded).
    client = opts.thread === false ? new PGlite({ dataDir, extensions: { vector } }) : new PGliteThread(dataDir);
    await client.waitReady;
    await applyMigrations(pgliteRunner(client));
    vectorSearch = await prepareVectorSearch(pgliteRunner(client), opts.vectorSearch ?? "auto", "pglite");
  } catch (err) {
    await client?.close().catch(() => {});
    await release();
    throw err;
  }
  // The adapter calls only query, exec and transaction, which PGliteThread provides (see pglite-thread.ts).
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(client as unknown as ConstructorParameters<typeof PrismaPGlite>[0]) });
  registerVectorSearch(prisma, vectorSearch.mode);
  const pglite = client;
  return {
    prisma,
    kind: "pglite",
    vectorSearch,
    describe: dataDir ? `embedded PGlite in ${dataDir}` : "embedded PGlite in memory",
    async close() {
      await prisma.$disconnect();
      await pglite.close();
      await release();
    },
  };
}

export async function openPostgres(url: string, opts: { vectorSearch?: VectorSearchSetting } = {}): Promise<Database> {
  const migrator = new pg.Client({ connectionString: url });
  await migrator.connect();
  let vectorSearch: Database["vectorSearch"];
  try {
    await applyMigrations(pgRunner(migrator));
    vectorSearch = await prepareVectorSearch(pgRunner(migrator), opts.vectorSearch ?? "auto", "postgres");
  } finally {
    await migrator.end();
  }
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) });
  registerVectorSearch(prisma, vectorSearch.mode);
  const where = new URL(url);
  return {
    prisma,
    kind: "postgres",
    vectorSearch,
    describe: `PostgreSQL at ${where.host}${where.pathname}`,
    close: () => prisma.$disconnect(),
  };
}

export function openDatabase(config: DatabaseConfig = resolveDatabaseConfig()): Promise<Database> {
  return config.kind === "postgres" ? openPostgres(config.url, config) : openPglite(config.dataDir, config);
}
