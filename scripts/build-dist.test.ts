// The production images run dist/ on production dependencies only (docker/Dockerfile: npm ci --omit=dev). Every
// package a bundle imports must therefore be a dependency (not a devDependency) of the root or of a workspace, or the
// image fails at run time on a path no other test takes. The bundle is made here as the image makes it.
import fs from "node:fs";
import { builtinModules } from "node:module";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain ES module without types
import { buildDist } from "./build-dist.mjs";

const root = path.resolve(import.meta.dirname, "..");
const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "fewlabel-dist-"));
afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

type Manifest = { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; peerDependencies?: Record<string, string>; workspaces?: string[] };
const read = (file: string) => JSON.parse(fs.readFileSync(file, "utf8")) as Manifest;

function productionDependencies(): Set<string> {
  const rootManifest = read(path.join(root, "package.json"));
  const manifests = [rootManifest];
  for (const pattern of rootManifest.workspaces ?? []) {
    const dir = path.join(root, pattern.replace(/\/\*$/, ""));
    const folders = pattern.endsWith("/*") ? fs.readdirSync(dir).map((d) => path.join(dir, d)) : [dir];
    for (const folder of folders) if (fs.existsSync(path.join(folder, "package.json"))) manifests.push(read(path.join(folder, "package.json")));
  }
  return new Set(manifests.flatMap((m) => [...Object.keys(m.dependencies ?? {}), ...Object.keys(m.optionalDependencies ?? {}), ...Object.keys(m.peerDependencies ?? {})]));
}

const packageOf = (specifier: string) =>
  specifier
    .split("/")
    .slice(0, specifier.startsWith("@") ? 2 : 1)
    .join("/");

describe("the production bundles (scripts/build-dist.mjs)", () => {
  it("import only node's modules and production dependencies, and inline fewlabel's own packages", { timeout: 60_000 }, async () => {
    const meta = (await buildDist(outdir)) as { outputs: Record<string, { imports: { path: string; external?: boolean }[] }> };
    const imported = new Set<string>();
    for (const output of Object.values(meta.outputs)) for (const i of output.imports) if (i.external) imported.add(i.path);
    const builtins = new Set(builtinModules);
    const packages = [...imported].filter((p) => !p.startsWith("node:") && !builtins.has(p)).map(packageOf);
    expect(packages).toContain("next"); // the scan sees the bundles' imports at all
    expect(packages.filter((p) => p.startsWith("@fewlabel/"))).toEqual([]);
    const allowed = productionDependencies();
    expect([...new Set(packages)].filter((p) => !allowed.has(p)).sort()).toEqual([]);
    // The web server itself never loads TensorFlow.js (its api imports only the experiments' plans and reports):
    // training runs in the trainer and experiment processes.
    const server = Object.entries(meta.outputs).find(([file]) => file.endsWith("/server.js"))![1];
    expect(server.imports.filter((i) => i.external && /^@tensorflow\/|^webgpu$|^umap-js$/.test(i.path)).map((i) => i.path)).toEqual([]);
    for (const entry of ["server.js", "trainer.js", "experiments-worker.js", "replicaWorker.js", "batchWorker.js", "pglite-thread-worker.mjs"]) {
      expect(fs.existsSync(path.join(outdir, entry)), entry).toBe(true);
    }
  });
});
