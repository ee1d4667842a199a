// Opens fewlabel's database: embedded PGlite (default) or PostgreSQL (DATABASE_URL), migrated to the latest
// committed migration, behind one Prisma client (Rust-free client + driver adapters: no engine binary anywhere).
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { type DatabaseConfig, resolveDatabaseConfig } from "./config";
import { lockDataDirectory } from "./lock";
import { PGlite } from "@electric-sql/pglite";
import { applyMigrations, type SqlRunner } from "./migrate";
import { PGliteThread } from "./pglite-thread";
import { PrismaClient } from "./generated/prisma/client";

export interface Database {
  prisma: PrismaClient;
  kind: DatabaseConfig["kind"];
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
export async function openPglite(dataDir: string | undefined, opts: { thread?: boolean } = {}): Promise<Database> {
  const release = dataDir ? await lockDataDirectory(dataDir) : async () => {};
  let client: PGliteThread | PGlite | undefined;
  try {
    // In process only where asked (bench:realtime's comparison): the thread is what the product runs.
    client = opts.thread === false ? new PGlite(dataDir) : new PGliteThread(dataDir);
    await client.waitReady;
    await applyMigrations(pgliteRunner(client));
  } catch (err) {
    await client?.close().catch(() => {});
    await release();
    throw err;
  }
  // The adapter calls only query, exec and transaction, which PGliteThread provides (see pglite-thread.ts).
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(client as unknown as ConstructorParameters<typeof PrismaPGlite>[0]) });
  const pglite = client;
  return {
    prisma,
    kind: "pglite",
    describe: dataDir ? `embedded PGlite in ${dataDir}` : "embedded PGlite in memory",
    async close() {
      await prisma.$disconnect();
      await pglite.close();
      await release();
    },
  };
}

export async function openPostgres(url: string): Promise<Database> {
  const migrator = new pg.Client({ connectionString: url });
  await migrator.connect();
  try {
    await applyMigrations(pgRunner(migrator));
  } finally {
    await migrator.end();
  }
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) });
  const where = new URL(url);
  return {
    prisma,
    kind: "postgres",
    describe: `PostgreSQL at ${where.host}${where.pathname}`,
    close: () => prisma.$disconnect(),
  };
}

export function openDatabase(config: DatabaseConfig = resolveDatabaseConfig()): Promise<Database> {
  return config.kind === "postgres" ? openPostgres(config.url) : openPglite(config.dataDir);
}
