// "More like this" search cost (issue 17): exact cosine nearest neighbours over a project's embeddings, as
// services/embeddings.ts does it in the web server's memory, against sorting every similarity (the obvious way) and,
// with --pgvector, against pgvector in PGlite (the embedded database's `vector` extension, which the PostgreSQL here
// lacks): an exact scan (`ORDER BY embedding <=> q`) and an HNSW index, on the same vectors and queries.
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
  const { PGlite } = await import("@electric-sql/pglite");
  const { vector } = await import("@electric-sql/pglite/vector");
  const pg = new PGlite({ extensions: { vector } });
  await pg.exec(`CREATE EXTENSION vector; CREATE TABLE e (id int PRIMARY KEY, embedding vector(${dim}))`);
  const literal = (r: number) => `[${Array.from(unit.subarray(r * dim, (r + 1) * dim)).join(",")}]`;
  const t0 = performance.now();
  for (let start = 0; start < n; start += 1000) {
    const rows = Array.from({ length: Math.min(1000, n - start) }, (_, j) => `(${start + j}, '${literal(start + j)}')`);
    await pg.exec(`INSERT INTO e VALUES ${rows.join(",")}`);
  }
  const loadMs = performance.now() - t0;
  const timeSql = async () => {
    const q = async (r: number) => pg.query(`SELECT id FROM e ORDER BY embedding <=> $1 LIMIT ${k}`, [literal(r)]);
    await q(0);
    const t = performance.now();
    for (let i = 1; i <= queries; i++) await q((i * 7919) % n);
    return (performance.now() - t) / queries;
  };
  const exact = await timeSql();
  const t1 = performance.now();
  await pg.exec("CREATE INDEX ON e USING hnsw (embedding vector_cosine_ops)");
  const indexMs = performance.now() - t1;
  await pg.exec(`SET hnsw.ef_search = ${Math.max(40, k)}`);
  const hnsw = await timeSql();
  console.log(
    `pgvector in PGlite (wasm, this thread): exact scan ${exact.toFixed(1)} ms a query; HNSW ${hnsw.toFixed(1)} ms a query (approximate; building the index took ${(indexMs / 1000).toFixed(1)} s, loading the rows ${(loadMs / 1000).toFixed(1)} s)`,
  );
  await pg.close();
}
