// Opens what the web server runs on: the database (PGlite or PostgreSQL) and the image store, both under the data
// directory unless DATABASE_URL or FEWLABEL_S3_BUCKET point elsewhere.
import { type Database, dataDirectory, openDatabase, resolveDatabaseConfig } from "@fewlabel/db";
import { describeImageStore, type ImageStore, openImageStore, resolveImageStoreConfig } from "@fewlabel/storage";

export interface ServerServices {
  database: Database;
  store: ImageStore;
  /** Where the images are, for the start-up log ("images in …"). */
  storeDescription: string;
  dataDir: string;
}

export async function openServices(env: NodeJS.ProcessEnv = process.env): Promise<ServerServices> {
  const dataDir = dataDirectory(env);
  // The store's settings are checked (and a bucket reached) before the database is opened and migrated.
  const storeConfig = resolveImageStoreConfig(env, dataDir);
  const store = await openImageStore(storeConfig);
  const database = await openDatabase(resolveDatabaseConfig(env));
  return { database, store, storeDescription: describeImageStore(storeConfig), dataDir };
}
