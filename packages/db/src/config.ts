// Where the database lives, from the environment: PostgreSQL when DATABASE_URL says so, otherwise an embedded PGlite
// database inside the data directory (no server to install).
import path from "node:path";

export type DatabaseConfig = { kind: "pglite"; dataDir: string } | { kind: "postgres"; url: string };

export function dataDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.FEWLABEL_DATA_DIR || "./data");
}

export function resolveDatabaseConfig(env: NodeJS.ProcessEnv = process.env): DatabaseConfig {
  const url = env.DATABASE_URL?.trim();
  if (url) {
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new Error(`DATABASE_URL must be a postgresql:// URL (got "${url.split(":")[0]}:..."); unset it to use the embedded database`);
    }
    return { kind: "postgres", url };
  }
  return { kind: "pglite", dataDir: path.join(dataDirectory(env), "pglite") };
}
