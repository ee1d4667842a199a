// Where a child process's entry point is. From sources (npm start, the tests) it is a TypeScript file run through
// tsx's loader; in the production images every entry point is compiled into one folder (scripts/build-dist.mjs:
// dist/server.js, dist/trainer.js, dist/experiments-worker.js, …) and run by plain Node, so a child is the bundle
// named `bundled` beside the bundle this code was compiled into.
import { fileURLToPath } from "node:url";

export interface ChildEntry {
  /** The file to give node (or fork). */
  script: string;
  /** Node options it needs: tsx's loader for a TypeScript source, none for a bundle. */
  execArgv: string[];
}

/**
 * `fromUrl` is the caller's import.meta.url; `source` resolves the TypeScript entry (only called when running from
 * sources, so a production image needs neither tsx nor the sources).
 */
export function childEntry(fromUrl: string, source: () => string, bundled: string): ChildEntry {
  if (!fromUrl.endsWith(".ts")) return { script: fileURLToPath(new URL(`./${bundled}`, fromUrl)), execArgv: [] };
  return { script: source(), execArgv: ["--import", import.meta.resolve("tsx")] };
}
