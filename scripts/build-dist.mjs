// Compiles the server side into plain JavaScript for the production images (docker/*.Dockerfile): every process
// entry point bundled by esbuild into dist/, fewlabel's own workspace packages inlined (they export TypeScript
// sources), third-party packages left as imports of node_modules. The images then run `node dist/server.js` and
// `node dist/trainer.js` with production dependencies only: no tsx, no TypeScript sources, no dev tooling.
//
//   node scripts/build-dist.mjs          (after npm ci and the web build; writes dist/)
//
// Entry points that start one another find each other beside their own bundle (packages/api's childEntry,
// packages/ml's workerEntry, the PGlite worker). The few modules that read files next to their source (migrations,
// the wasm kernels, preprocess.ts for exports, the Next.js app folder) keep reading them there: in those modules
// import.meta.url is rewritten to the source file's place relative to dist/, and the image keeps those files at the
// same relative paths.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const entryPoints = {
  server: "apps/web/server.ts",
  trainer: "apps/trainer/src/main.ts",
  "experiments-worker": "packages/experiments/src/project/worker.ts",
  replicaWorker: "packages/ml/src/parallel/replicaWorker.ts",
  batchWorker: "packages/ml/src/parallel/batchWorker.ts",
};

// Modules that locate files beside their source; the files themselves are listed in docker/Dockerfile. (No code
// splitting: a module's import.meta.url must be its entry's bundle, directly in dist/, for these paths to hold.)
const sourceRelative = new Set([
  "apps/web/server.ts", // Next.js's app folder (apps/web/.next, public, next.config.ts)
  "packages/db/src/migrate.ts", // prisma/migrations
  "packages/db/src/generated/prisma/client.ts", // Prisma's __dirname
  "packages/ml/src/backend/simdKernels.ts", // packages/ml/build/*.wasm
  "packages/ml/src/preprocess/preprocessModule.ts", // preprocess.ts, shipped with every export
]);

/** Bundle fewlabel's workspaces (and relative imports); leave every other package to node_modules. */
const externalPackages = {
  name: "external-packages",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith("@fewlabel/")) return undefined;
      return { path: args.path, external: true };
    });
  },
};

const keepSourceLocation = (outdir) => ({
  name: "keep-source-location",
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const rel = path.relative(root, args.path).split(path.sep).join("/");
      if (!sourceRelative.has(rel)) return undefined;
      const fromDist = path.relative(outdir, args.path).split(path.sep).join("/");
      const source = await fs.promises.readFile(args.path, "utf8");
      if (!source.includes("import.meta.url")) throw new Error(`${rel} no longer reads import.meta.url: update scripts/build-dist.mjs`);
      return { contents: source.replaceAll("import.meta.url", `new URL(${JSON.stringify(fromDist)}, import.meta.url).href`), loader: "ts" };
    });
  },
});

/**
 * Bundles into `outdir` (which it empties first); resolves with esbuild's metafile (what each bundle imports, for
 * scripts/build-dist.test.ts).
 */
export async function buildDist(outdir = path.join(root, "dist")) {
  fs.rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints,
    outdir,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    sourcemap: "linked",
    plugins: [externalPackages, keepSourceLocation(outdir)],
    logLevel: "warning",
    metafile: true,
  });
  // Files that modules load beside their own bundle.
  fs.copyFileSync(path.join(root, "packages/db/src/pglite-thread-worker.mjs"), path.join(outdir, "pglite-thread-worker.mjs"));
  fs.writeFileSync(path.join(outdir, "package.json"), `${JSON.stringify({ type: "module" }, null, 2)}\n`);
  return result.metafile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const t0 = Date.now();
  const meta = await buildDist();
  const bytes = Object.values(meta.outputs).reduce((n, o) => n + o.bytes, 0);
  console.log(`build-dist: ${Object.keys(entryPoints).join(", ")} -> dist/ (${(bytes / 1e6).toFixed(1)} MB with source maps) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
