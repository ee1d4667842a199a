// The import graph of every workspace's source has no cycles (issue 18): a module never reaches itself through
// value imports (type-only imports vanish at run time and do not count). madge reads the graph the way TypeScript
// resolves it.
import path from "node:path";
import madge from "madge";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "..");
const sources = [
  "apps/web/src",
  "apps/trainer/src",
  "packages/api/src",
  "packages/db/src",
  "packages/ml/src",
  "packages/realtime/src",
  "packages/storage/src",
  "packages/experiments/src",
  "packages/datasets/src",
];

describe("the import graph", () => {
  it.each(sources)("of %s has no cycles", { timeout: 120_000 }, async (dir) => {
    const graph = await madge(path.join(root, dir), {
      fileExtensions: ["ts", "tsx"],
      tsConfig: path.join(root, "tsconfig.json"),
      detectiveOptions: { ts: { skipTypeImports: true }, tsx: { skipTypeImports: true } },
    });
    // A graph that read nothing would pass for the wrong reason.
    expect(Object.keys(graph.obj()).length).toBeGreaterThan(1);
    expect(graph.circular()).toEqual([]);
  });
});
