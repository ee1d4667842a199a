// Applies the committed migrations in prisma/migrations at start, with no Prisma engine binary. It keeps Prisma's own
// bookkeeping table (_prisma_migrations) so that `prisma migrate status` and `migrate dev` agree with what ran here.
import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The little a migration runner needs from a connection: PGlite and node-postgres both provide it. */
export interface SqlRunner {
  /** Runs one or more statements without parameters. */
  exec(sql: string): Promise<void>;
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
}

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export const defaultMigrationsDir = fileURLToPath(new URL("../../../prisma/migrations", import.meta.url));

export function readMigrations(dir = defaultMigrationsDir): Migration[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(dir, d.name, "migration.sql")))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = fs.readFileSync(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

const bookkeeping = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
);`;

/** Arbitrary constant: serialises concurrent starts of several web instances against one PostgreSQL. */
const MIGRATION_LOCK_KEY = 72_107_305;

/**
 * Brings the database to the latest migration. Each migration runs in its own transaction, so a failure leaves the
 * database at the previous migration. Refuses a database that ran migrations this code does not have, or whose applied
 * migrations were edited since (checksums compared). Returns the names applied now.
 */
export async function applyMigrations(db: SqlRunner, migrations = readMigrations()): Promise<string[]> {
  await db.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
  try {
    await db.exec(bookkeeping);
    const done = await db.query<{ migration_name: string; checksum: string }>(`SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`);
    const applied = new Map(done.map((r) => [r.migration_name, r.checksum]));
    const known = new Set(migrations.map((m) => m.name));
    const unknown = [...applied.keys()].filter((n) => !known.has(n));
    if (unknown.length > 0) {
      throw new Error(`The database has migrations this version of fewlabel does not know (${unknown.join(", ")}): it was used by a newer version. Refusing to start rather than risk the data.`);
    }
    // A migration edited after it ran here would leave this database unlike the schema the code expects, silently.
    const edited = migrations.filter((m) => applied.has(m.name) && applied.get(m.name) !== m.checksum).map((m) => m.name);
    if (edited.length > 0) {
      throw new Error(
        `Migration ${edited.join(", ")} changed after it was applied to this database (its checksum differs). ` +
          `Restore the file from version control; a schema change goes in a new migration. Refusing to start.`,
      );
    }
    const ran: string[] = [];
    for (const m of migrations) {
      if (applied.has(m.name)) continue;
      await db.exec("BEGIN");
      try {
        await db.exec(m.sql);
        await db.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, finished_at, applied_steps_count)
           VALUES ($1, $2, $3, now(), 1)`,
          [randomUUID(), m.checksum, m.name],
        );
        await db.exec("COMMIT");
      } catch (err) {
        await db.exec("ROLLBACK");
        throw new Error(`Migration ${m.name} failed and was rolled back: ${(err as Error).message}`);
      }
      ran.push(m.name);
    }
    return ran;
  } finally {
    await db.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
  }
}
