// "More like this" search cost (issue 17): exact cosine nearest neighbours over a project's embeddings, as
// services/embeddings.ts does it in the web server's memory, against sorting every similarity (the obvious way) and,
// with --pgvector, the product's whole search (similarImages) on embedded databases with pgvector (PGlite's `vector`
// extension; the PostgreSQL here lacks it) and in memory, on the same vectors and queries.
//   npx tsx packages/api/bench/embedding-search.ts [--images=100000] [--dim=128] [--k=200] [--queries=20] [--pgvector]
import { nearestRows } from "../src/services/embeddings";

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, "").split("=");
    return [k!, v ?? "true"];
  }),
);
const n = Number(args.get("images") ?? 100_000),
  dim = Number(args.get("dim") ?? 128),
  k = Number(args.get("k") ?? 200),
  queries = Number(args.get("queries") ?? 20);
let seed = 1;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
const unit = new Float32Array(n * dim).map(rand);
for (let r = 0; r < n; r++) {
  let s = 0;
  for (let d = 0; d < dim; d++) s += unit[r * dim + d]! ** 2;
  const f = 1 / Math.sqrt(s);
  for (let d = 0; d < dim; d++) unit[r * dim + d]! *= f;
}
const time = (f: (q: number) => unknown) => {
  f(0);
  const t0 = performance.now();
  for (let i = 1; i <= queries; i++) f((i * 7919) % n);
  return (performance.now() - t0) / queries;
};
const ours = time((q) => nearestRows(unit, dim, q, k));
const sorted = time((q) => {
  const sims = Array.from({ length: n }, (_, r) => {
    let s = 0;
    for (let d = 0; d < dim; d++) s += unit[r * dim + d]! * unit[q * dim + d]!;
    return { r, s };
  });
  return sims.sort((a, b) => b.s - a.s).slice(0, k);
});
console.log(`${n} images x ${dim} dims, top ${k}: nearestRows ${ours.toFixed(1)} ms a query; sort every similarity ${sorted.toFixed(1)} ms`);
console.log(JSON.stringify({ images: n, dim, k, nearestRowsMs: Number(ours.toFixed(2)), sortAllMs: Number(sorted.toFixed(2)) }));

if (args.get("pgvector") === "true") {
  // The product's own path, end to end (similarImages: the version's key, then the search), on two embedded
  // databases as `npm start` opens them (PGlite on its worker thread), one searching with pgvector and one in memory,
  // each holding the same n embeddings posted through postEmbeddings. Also the event loop's longest stall while the
  // queries ran: the memory scan runs on the web server's thread, pgvector's on PGlite's.
  const { monitorEventLoopDelay } = await import("node:perf_hooks");
  const { openTestDatabase } = await import("@fewlabel/db/testing");
  const { postEmbeddings, similarImages } = await import("../src/services/embeddings");
  const { encodeVector } = await import("../src/embedding-vector");
  const ids = Array.from({ length: n }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
  const measured: Record<string, { loadS: number; queryMs: number; longestStallMs: number }> = {};
  for (const mode of ["pgvector", "memory"] as const) {
    const db = await openTestDatabase("pglite", { vectorSearch: mode });
    const t0 = performance.now();
    const project = await db.prisma.project.create({ data: { name: "bench" } });
    const version = await db.prisma.modelVersion.create({ data: { projectId: project.id, version: 1, stage: "PRETRAIN" } });
    for (let at = 0; at < n; at += 5000) {
      await db.prisma.image.createMany({
        data: ids.slice(at, at + 5000).map((id, j) => ({ id, projectId: project.id, contentHash: `h${at + j}`, filename: `${at + j}.png`, format: "png", width: 32, height: 32, byteSize: 1 })),
      });
    }
    for (let at = 0; at < n; at += 1000) {
      const items = ids.slice(at, at + 1000).map((imageId, j) => ({ imageId, vector: encodeVector(unit.subarray((at + j) * dim, (at + j + 1) * dim)) }));
      await postEmbeddings(db.prisma, project.id, version.id, items);
    }
    const loadS = (performance.now() - t0) / 1000;
    await similarImages(db.prisma, project.id, ids[0]!, k); // warm-up: the memory path reads its index here
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const t1 = performance.now();
    for (let i = 1; i <= queries; i++) await similarImages(db.prisma, project.id, ids[(i * 7919) % n]!, k);
    const queryMs = (performance.now() - t1) / queries;
    delay.disable();
    measured[mode] = { loadS: Number(loadS.toFixed(1)), queryMs: Number(queryMs.toFixed(1)), longestStallMs: Number((delay.max / 1e6).toFixed(1)) };
    console.log(
      `similarImages, PGlite, ${mode === "pgvector" ? "pgvector in the database" : "in the web server's memory"}: ${queryMs.toFixed(1)} ms a query, the event loop's longest stall ${(delay.max / 1e6).toFixed(1)} ms (storing the ${n} embeddings took ${loadS.toFixed(0)} s)`,
    );
    await db.close();
  }
  console.log(JSON.stringify({ images: n, dim, k, similarImages: measured }));
}
