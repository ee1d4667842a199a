// Exactly one process may own a PGlite data directory: PGlite has no server to arbitrate, and two writers would
// corrupt it. A lock file (proper-lockfile: mkdir-based, refreshed, stale after the owner dies) guards the folder.
import fs from "node:fs";
import lockfile from "proper-lockfile";

export class DataDirectoryInUseError extends Error {
  constructor(readonly dataDir: string) {
    super(`The embedded database in ${dataDir} is already in use by another fewlabel process. Stop that process, or give this one its own FEWLABEL_DATA_DIR (or a DATABASE_URL).`);
    this.name = "DataDirectoryInUseError";
  }
}

/** Locks `dir` for this process; resolves to the release function. */
export async function lockDataDirectory(dir: string): Promise<() => Promise<void>> {
  fs.mkdirSync(dir, { recursive: true });
  try {
    return await lockfile.lock(dir, {
      lockfilePath: `${dir}.lock`,
      stale: 15_000,
      update: 5_000,
      realpath: false,
      onCompromised: (err) => {
        // Another process took the lock over (we were frozen for longer than `stale`): stop writing at once.
        console.error(`fewlabel: lost the lock on ${dir}: ${err.message}`);
        process.exit(70);
      },
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ELOCKED") throw new DataDirectoryInUseError(dir);
    throw err;
  }
}
