// Opens fewlabel's database: embedded PGlite (default) or PostgreSQL (DATABASE_URL), migrated to the latest
// committed migration, behind one Prisma client (Rust-free client + driver adapters: no engine binary anywhere).
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { type DatabaseConfig, resolveDatabaseConfig } from "./config";
import { lockDataDirectory } from "./lock";
import { applyMigrations, type SqlRunner } from "./migrate";
import { PrismaClient } from "./generated/prisma/client";

export interface Database {
  prisma: PrismaClient;
  kind: DatabaseConfig["kind"];
  /** Human description for logs, without credentials. */
  describe: string;
  close(): Promise<void>;
}

function pgliteRunner(client: PGlite): SqlRunner {
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

/** Opens an embedded database: `dataDir` on disk (locked to this process), or in memory when undefined. */
export async function openPglite(dataDir: string | undefined): Promise<Database> {
  const release = dataDir ? await lockDataDirectory(dataDir) : async () => {};
  let client: PGlite | undefined;
  try {
    client = new PGlite(dataDir);
    await client.waitReady;
    await applyMigrations(pgliteRunner(client));
  } catch (err) {
    await client?.close().catch(() => {});
    await release();
    throw err;
  }
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(client) });
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
