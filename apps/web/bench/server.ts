// The server half of the benchmarks (bench:ingest, bench:realtime), run as its own process so the simulated clients
// do not share its event loop: a real fewlabel web server (no Next.js) on a fresh embedded database in a temporary directory, or on
// DATABASE_URL when set. Prints "READY <port>" once listening. With --echo it is instead a bare socket.io server that
// relays each event to the room (the transport's own ceiling, the baseline).
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { openDatabase, openPglite, resolveDatabaseConfig } from "@fewlabel/db";
import { LocalImageStore } from "@fewlabel/storage";
import { Server } from "socket.io";
import { createFewlabelServer } from "../src/server/create-server";

async function echo() {
  const server = http.createServer();
  const io = new Server(server, { serveClient: false });
  io.on("connection", (socket) => {
    void socket.join("room");
    socket.on("label:set", (payload: unknown, ack: (r: unknown) => void) => {
      io.to("room").emit("project:events", [payload] as never);
      ack({ ok: true });
    });
  });
  server.listen(0, "127.0.0.1", () => console.log(`READY ${(server.address() as { port: number }).port}`));
}

async function real() {
  // The bench names the data directory and reads the database itself once this process has stopped.
  const dir = process.env.FEWLABEL_DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), "fewlabel-bench-rt-"));
  const config = resolveDatabaseConfig({ ...process.env, FEWLABEL_DATA_DIR: dir });
  // BENCH_PGLITE_IN_PROCESS=1: PGlite on the server's main thread, as before PGliteThread, for comparison.
  const db = config.kind === "pglite" && process.env.BENCH_PGLITE_IN_PROCESS === "1" ? await openPglite(config.dataDir, { thread: false }) : await openDatabase(config);
  // REDIS_URL: socket.io rooms shared with other instances on the same database (bench:soak runs two).
  const web = await createFewlabelServer({ db: db.prisma, store: new LocalImageStore(path.join(dir, "images")), redisUrl: process.env.REDIS_URL || undefined });
  const { port } = await web.listen(0, "127.0.0.1");
  const where = db.kind !== "pglite" ? "" : process.env.BENCH_PGLITE_IN_PROCESS === "1" ? " (on the main thread)" : " (on a worker thread)";
  console.log(`READY ${port} ${db.describe}${where}`);
  const stop = async () => {
    await web.close().catch(() => {});
    await db.close().catch(() => {});
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
}

void (process.argv.includes("--echo") ? echo() : real());
