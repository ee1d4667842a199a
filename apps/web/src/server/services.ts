// Opens what the web server runs on: the database (PGlite or PostgreSQL) and the image store, both under the data
// directory unless DATABASE_URL points elsewhere.
import path from "node:path";
import { type Database, dataDirectory, openDatabase, resolveDatabaseConfig } from "@fewlabel/db";
import { LocalImageStore } from "@fewlabel/storage";

export interface ServerServices {
  database: Database;
  store: LocalImageStore;
  dataDir: string;
}

export async function openServices(env: NodeJS.ProcessEnv = process.env): Promise<ServerServices> {
  const dataDir = dataDirectory(env);
  const database = await openDatabase(resolveDatabaseConfig(env));
  return { database, store: new LocalImageStore(path.join(dataDir, "images")), dataDir };
}
