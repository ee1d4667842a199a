// Where the database lives, from the environment: PostgreSQL when DATABASE_URL says so, otherwise an embedded PGlite
// database inside the data directory (no server to install).
import path from "node:path";
import { resolveVectorSearchSetting, type VectorSearchSetting } from "./vector-search";

/** `vectorSearch`: where "more like this" searches (vector-search.ts), from FEWLABEL_VECTOR_SEARCH. */
export type DatabaseConfig = ({ kind: "pglite"; dataDir: string } | { kind: "postgres"; url: string }) & { vectorSearch?: VectorSearchSetting };

export function dataDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.FEWLABEL_DATA_DIR || "./data");
}

export function resolveDatabaseConfig(env: NodeJS.ProcessEnv = process.env): DatabaseConfig {
  const url = env.DATABASE_URL?.trim();
  if (url) {
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new Error(`DATABASE_URL must be a postgresql:// URL (got "${url.split(":")[0]}:..."); unset it to use the embedded database`);
    }
    return { kind: "postgres", url, vectorSearch: resolveVectorSearchSetting(env) };
  }
  return { kind: "pglite", dataDir: path.join(dataDirectory(env), "pglite"), vectorSearch: resolveVectorSearchSetting(env) };
}
