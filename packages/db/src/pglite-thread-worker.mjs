// The worker side of PGliteThread (pglite-thread.ts): owns the embedded PostgreSQL and runs every statement here,
// off the web server's main thread. Plain JavaScript on purpose: a worker thread starts without the TypeScript
// loader that tsx or vitest give the main thread, and this file needs nothing but PGlite.
//
// Values go back unparsed (text as PostgreSQL sent it): parsers are functions and cannot cross threads, so the
// main thread applies them, exactly as PGlite would have (same parsers, same precedence).
import { parentPort, workerData } from "node:worker_threads";
import { messages, PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite/vector";

// pgvector ships inside the PGlite package; loaded always, so that a database that once enabled it still opens.
const pg = new PGlite({ dataDir: workerData.dataDir, extensions: { vector } });
/** Open transactions by id: each holds PGlite's exclusive lock until the main thread ends it. */
const transactions = new Map();

let rawParsers = null;
/** Every parser PGlite knows (scalars and the array types it registered at start) returns its input; built once. */
function raw() {
  rawParsers ??= Object.fromEntries(Object.keys(pg.parsers).map((oid) => [oid, (x) => x]));
  return rawParsers;
}

function plain(result) {
  return { rows: result.rows, fields: result.fields, affectedRows: result.affectedRows };
}

function describeError(err) {
  const out = { message: String(err?.message ?? err), isDatabaseError: err instanceof messages.DatabaseError };
  for (const k of [
    "length",
    "severity",
    "code",
    "detail",
    "hint",
    "position",
    "internalPosition",
    "internalQuery",
    "where",
    "schema",
    "table",
    "column",
    "dataType",
    "constraint",
    "file",
    "line",
    "routine",
    "query",
  ]) {
    if (err && err[k] !== undefined && typeof err[k] !== "function" && typeof err[k] !== "object") out[k] = err[k];
  }
  return out;
}

/** Runs `fn` after the transaction's previous operation: a rollback must finish before the end that follows it. */
function inOrder(t, fn) {
  const next = t.chain.then(fn, fn);
  t.chain = next.catch(() => {});
  return next;
}

const ops = {
  async ready() {
    await pg.waitReady;
    const arrays = await pg.query(
      `SELECT b.oid, b.typarray FROM pg_catalog.pg_type a LEFT JOIN pg_catalog.pg_type b ON b.oid = a.typelem
       WHERE a.typcategory = 'A' GROUP BY b.oid, b.typarray ORDER BY b.oid`,
    );
    return { arrayTypes: arrays.rows.map((r) => [r.oid, r.typarray]) };
  },
  async query({ txId, sql, params }) {
    const options = { rowMode: "array", parsers: raw() };
    if (txId === undefined) return plain(await pg.query(sql, params, options));
    const t = transactions.get(txId);
    if (!t) throw new Error("Transaction is closed");
    return inOrder(t, async () => plain(await t.tx.query(sql, params, options)));
  },
  async exec({ txId, sql }) {
    const options = { rowMode: "array", parsers: raw() };
    if (txId === undefined) return (await pg.exec(sql, options)).map(plain);
    const t = transactions.get(txId);
    if (!t) throw new Error("Transaction is closed");
    return inOrder(t, async () => (await t.tx.exec(sql, options)).map(plain));
  },
  async begin({ txId }) {
    let entered;
    const inside = new Promise((resolve) => (entered = resolve));
    const t = { tx: null, chain: Promise.resolve(), finish: null, done: null };
    const decided = new Promise((resolve) => (t.finish = resolve));
    t.done = pg.transaction(async (tx) => {
      t.tx = tx;
      transactions.set(txId, t);
      entered();
      if (!(await decided)) throw Object.assign(new Error("rolled back"), { rolledBack: true });
    });
    // BEGIN itself can fail: then the transaction promise settles before the callback runs.
    await Promise.race([inside, t.done]);
  },
  async rollback({ txId }) {
    const t = transactions.get(txId);
    if (!t) return;
    await inOrder(t, () => t.tx.rollback());
  },
  async end({ txId, commit }) {
    const t = transactions.get(txId);
    if (!t) throw new Error("Transaction is closed");
    await inOrder(t, async () => {
      t.finish(commit);
      try {
        await t.done;
      } catch (err) {
        if (!err?.rolledBack) throw err;
      } finally {
        transactions.delete(txId);
      }
    });
  },
  async close() {
    await pg.close();
  },
};

parentPort.on("message", async ({ id, op, args }) => {
  try {
    const value = await ops[op](args ?? {});
    parentPort.postMessage({ id, ok: true, value });
  } catch (err) {
    parentPort.postMessage({ id, ok: false, error: describeError(err) });
  }
});
