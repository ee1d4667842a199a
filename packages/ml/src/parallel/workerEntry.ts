// How the package starts its worker threads, from compiled JavaScript or from TypeScript sources (tsx, vitest).
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

/** The URL to give `new Worker` for a module beside `from` (an `import.meta.url`) named `name` (no extension). */
export function workerEntry(from: string, name: string): URL {
  const url = new URL(`./${name}${from.endsWith(".ts") ? ".ts" : ".js"}`, from);
  if (!url.pathname.endsWith(".ts")) return url;
  // Running from TypeScript sources: the worker needs tsx's loader too.
  const tsxApi = pathToFileURL(
    createRequire(from)
      .resolve("tsx/esm/api")
      .replace(/\.cjs$/, ".mjs"),
  ).href;
  return new URL(`data:text/javascript,${encodeURIComponent(`import { register } from ${JSON.stringify(tsxApi)}; register(); await import(${JSON.stringify(url.href)});`)}`);
}
