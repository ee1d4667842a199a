// Embedded PostgreSQL on its own thread. PGlite runs PostgreSQL compiled to WebAssembly synchronously on the thread
// that calls it: in the web server that is the thread that also serves socket.io, and under live labelling load
// about half of that thread's time went to PGlite (cpu profile of bench:realtime), so every statement delayed every
// socket's messages. PGliteThread keeps PGlite in a worker thread and offers the part of PGlite's interface that
// fewlabel uses (query, exec, transaction: what pglite-prisma-adapter and the migration runner call), so the web
// server's main thread only sends statements and parses results.
import { Worker } from "node:worker_threads";
import { messages, type Results, type Transaction, types } from "@electric-sql/pglite";

type Parser = (x: string, typeId?: number) => unknown;
type Parsers = Record<number | string, Parser>;

interface QueryOptions {
  rowMode?: "array" | "object";
  parsers?: Parsers;
}

interface RawResult {
  rows: (string | null)[][];
  fields: { name: string; dataTypeID: number }[];
  affectedRows?: number;
}

interface WorkerError {
  message: string;
  isDatabaseError: boolean;
  [field: string]: unknown;
}

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WorkerError };

/** The subset of a PGlite transaction fewlabel calls. */
export type ThreadTransaction = Pick<Transaction, "query" | "exec" | "rollback" | "closed">;

export class PGliteThread {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  private parsers: Parsers = { ...(types.parsers as Parsers) };
  /** The adapter passes the same parsers object with every query: merge it with ours once, not per query. */
  private readonly merged = new WeakMap<Parsers, Parsers>();
  private failed: Error | null = null;
  readonly waitReady: Promise<void>;

  constructor(dataDir: string | undefined) {
    this.worker = new Worker(new URL("./pglite-thread-worker.mjs", import.meta.url), { workerData: { dataDir } });
    this.worker.on("message", (reply: Reply) => {
      const w = this.waiting.get(reply.id);
      if (!w) return;
      this.waiting.delete(reply.id);
      if (reply.ok) w.resolve(reply.value);
      else w.reject(toError(reply.error));
    });
    // A crashed worker takes the database with it: everyone waiting, and everyone after, hears why.
    const fail = (err: Error) => {
      this.failed = new Error(`The embedded database stopped: ${err.message}`);
      for (const w of this.waiting.values()) w.reject(this.failed);
      this.waiting.clear();
    };
    this.worker.on("error", fail);
    this.worker.on("exit", (code) => fail(new Error(`database thread exited (code ${code})`)));
    this.waitReady = this.call<{ arrayTypes: [number, number][] }>("ready").then(({ arrayTypes }) => {
      // Array types, registered as PGlite registers them at start, over the same element parsers.
      for (const [oid, typarray] of arrayTypes) {
        this.parsers[typarray] = (x: string) => types.arrayParser(x, this.parsers[oid] as never, typarray);
      }
    });
  }

  private call<T>(op: string, args?: Record<string, unknown>): Promise<T> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, op, args });
    });
  }

  private parse<T>(raw: RawResult, options?: QueryOptions): Results<T> {
    let parsers = this.parsers;
    if (options?.parsers) {
      const own = options.parsers;
      parsers = this.merged.get(own) ?? { ...this.parsers, ...own };
      this.merged.set(own, parsers);
    }
    const columnParsers = raw.fields.map((f) => (x: string | null) => types.parseType(x, f.dataTypeID, parsers as never));
    const rows =
      options?.rowMode === "array" ? raw.rows.map((r) => r.map((v, i) => columnParsers[i]!(v))) : raw.rows.map((r) => Object.fromEntries(r.map((v, i) => [raw.fields[i]!.name, columnParsers[i]!(v)])));
    return { rows: rows as T[], fields: raw.fields, affectedRows: raw.affectedRows };
  }

  private async runQuery<T>(txId: number | undefined, sql: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>> {
    await this.waitReady;
    return this.parse<T>(await this.call<RawResult>("query", { txId, sql, params }), options);
  }

  private async runExec(txId: number | undefined, sql: string, options?: QueryOptions): Promise<Results[]> {
    await this.waitReady;
    return (await this.call<RawResult[]>("exec", { txId, sql })).map((r) => this.parse(r, options));
  }

  query<T>(sql: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>> {
    return this.runQuery<T>(undefined, sql, params, options);
  }

  exec(sql: string, options?: QueryOptions): Promise<Results[]> {
    return this.runExec(undefined, sql, options);
  }

  /**
   * Runs `fn` inside one transaction, holding PGlite's exclusive lock as PGlite's own transaction() does: it
   * commits when `fn` resolves and rolls back when it throws or calls `rollback()`.
   */
  async transaction<T>(fn: (tx: ThreadTransaction) => Promise<T>): Promise<T> {
    await this.waitReady;
    const txId = this.nextId++;
    await this.call("begin", { txId });
    let closed = false;
    const open = () => {
      if (closed) throw new Error("Transaction is closed");
    };
    const tx: ThreadTransaction = {
      query: async <R>(sql: string, params?: unknown[], options?: QueryOptions) => (open(), this.runQuery<R>(txId, sql, params, options)),
      exec: async (sql: string, options?: QueryOptions) => (open(), this.runExec(txId, sql, options)),
      rollback: async () => {
        open();
        closed = true;
        await this.call("rollback", { txId });
      },
      get closed() {
        return closed;
      },
    };
    let result: T;
    try {
      result = await fn(tx);
    } catch (err) {
      closed = true;
      await this.call("end", { txId, commit: false }).catch(() => {});
      throw err;
    }
    closed = true;
    await this.call("end", { txId, commit: true });
    return result;
  }

  async close(): Promise<void> {
    if (!this.failed) await this.call("close").catch(() => {});
    await this.worker.terminate();
  }
}

function toError(e: WorkerError): Error {
  if (!e.isDatabaseError) return Object.assign(new Error(e.message), e.query ? { query: e.query } : {});
  // Rebuilt as PGlite's own error class: the Prisma adapter maps it to Prisma's errors (unique violations etc.).
  const err = new messages.DatabaseError(e.message, Number(e.length ?? 0), "error");
  for (const [k, v] of Object.entries(e)) if (k !== "message" && k !== "isDatabaseError" && k !== "length") (err as unknown as Record<string, unknown>)[k] = v;
  return err;
}
