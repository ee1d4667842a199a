// An exported model folder as the files a version is published with.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

/** Every file of an export directory (<kind>/<file>) for publishing. */
export async function readExport(dir: string): Promise<{ path: string; bytes: Buffer }[]> {
  const out: { path: string; bytes: Buffer }[] = [];
  for (const kind of await readdir(dir)) {
    for (const file of await readdir(path.join(dir, kind))) out.push({ path: `${kind}/${file}`, bytes: await readFile(path.join(dir, kind, file)) });
  }
  return out;
}
