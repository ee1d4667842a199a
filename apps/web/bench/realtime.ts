// `npm run bench:realtime`: N simulated annotators (default 50 socket.io clients, each its own signed-in user)
// label as fast as they can for DURATION seconds (default 60) against one server on the embedded database (or
// DATABASE_URL). Fan-out latency runs from one client's emit to each other client's receipt of the resulting event
// (all clients live in this process, so one clock serves both ends). Afterwards, the acknowledged labels are
// compared with what the database holds: lost = acknowledged but absent, duplicated = stored more than once.
// Baseline, in the same run: a bare socket.io relay (no database, no auth) with the same clients, the transport's
// ceiling on this machine. Last line: one JSON object.
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openDatabase, resolveDatabaseConfig } from "@fewlabel/db";
import sharp from "sharp";
import { TestUser } from "../test/harness";
import { call, connect, type LiveSocket } from "../test/realtime-harness";
import { startServer } from "./start-server";

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50);
const DURATION = Number(process.env.BENCH_SECONDS ?? 60);
const IMAGES = Number(process.env.BENCH_IMAGES ?? 500);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface RunResult {
  labels: number;
  seconds: number;
  latencies: number[];
  acked: string[];
  errors: number;
}

/** Every client emits label after label (one in flight each) until the deadline; all clients record receipts. */
async function drive(sockets: LiveSocket[], payload: (i: number) => Record<string, unknown>, keyOf: (event: any, ack: any, sent: any) => string): Promise<RunResult> {
  const sentAt = new Map<string, number>();
  const received: { key: string; at: number; by: number }[] = [];
  sockets.forEach((s, i) =>
    s.on("project:events", (batch: any[]) => {
      const at = performance.now();
      for (const e of batch) received.push({ key: e.data?.annotationId ?? e.clientLabelId, at, by: i });
    }),
  );
  const acked: string[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + DURATION * 1000;
  await Promise.all(
    sockets.map(async (s, i) => {
      while (performance.now() < deadline) {
        const p = payload(i);
        const t0 = performance.now();
        const r = await call(s, "label:set", p);
        if (!r.ok) {
          errors++;
          continue;
        }
        const key = keyOf(null, r, p);
        sentAt.set(key, t0);
        acked.push(String(p.clientLabelId));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await new Promise((r) => setTimeout(r, 500));
  const latencies = received
    .filter((x) => sentAt.has(x.key))
    .map((x) => x.at - sentAt.get(x.key)!)
    .sort((a, b) => a - b);
  return { labels: acked.length, seconds, latencies, acked, errors };
}

async function baseline() {
  const server = await startServer(["--echo"], process.env);
  const url = `http://127.0.0.1:${server.port}`;
  const sockets = await Promise.all(Array.from({ length: CLIENTS }, () => connect(url, "")));
  const r = await drive(
    sockets,
    () => ({ clientLabelId: randomUUID() }),
    (_e, _ack, sent) => sent.clientLabelId,
  );
  sockets.forEach((s) => s.close());
  await server.stop();
  return r;
}

async function main() {
  console.log(`bench:realtime: ${CLIENTS} clients, ${DURATION} s, ${IMAGES} images`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "fewlabel-bench-rt-"));
  const env = { ...process.env, FEWLABEL_DATA_DIR: dataDir };
  const server = await startServer([], env);
  const url = `http://127.0.0.1:${server.port}`;
  console.log(`server: ${server.describe}`);

  // Unique accounts per run: a PostgreSQL database may hold an earlier run's.
  const run = Date.now().toString(36);
  const owner = await TestUser.signUp(url, `owner-${run}@bench.example`);
  const { id: projectId } = await owner.trpc.projects.create.mutate({ name: "bench", classes: Array.from({ length: 10 }, (_, i) => ({ name: `class-${i}` })) });
  const classIds = (await owner.trpc.classes.list.query({ projectId })).map((c) => c.id);
  const { uploadId } = await owner.trpc.uploads.start.mutate({ projectId });
  const files = await Promise.all(
    Array.from({ length: IMAGES }, async (_, i) => ({
      path: `img-${i}.png`,
      data: await sharp(Buffer.alloc(16 * 16, i % 256), { raw: { width: 16, height: 16, channels: 1 } })
        .png({ compressionLevel: 1 })
        .toBuffer(),
    })),
  );
  // Distinct content per image: different fill per 256, plus a marker pixel.
  for (const [i, f] of files.entries())
    f.data = await sharp(Buffer.from(Array.from({ length: 256 }, (_, k) => (k === i % 256 ? 255 - (i >> 8) : i % 256))), { raw: { width: 16, height: 16, channels: 1 } })
      .png()
      .toBuffer();
  await owner.uploadFiles(uploadId, files);
  const imageIds: string[] = [];
  for (let cursor: number | null = 0; cursor !== null; ) {
    const page: { items: { id: string }[]; nextCursor: number | null } = await owner.trpc.images.list.query({ projectId, cursor, limit: 1000 });
    imageIds.push(...page.items.map((i) => i.id));
    cursor = page.nextCursor;
  }

  const users = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => TestUser.signUp(url, `annotator${i}-${run}@bench.example`)));
  for (const u of users) {
    const { token } = await owner.trpc.invites.create.mutate({ projectId, role: "ANNOTATOR" });
    await u.trpc.invites.accept.mutate({ token });
  }
  const sockets = await Promise.all(users.map((u) => connect(url, u.cookie)));
  await Promise.all(sockets.map((s) => call(s, "project:join", { projectId })));

  let n = 0;
  const result = await drive(
    sockets,
    () => ({ projectId, imageId: imageIds[n++ % imageIds.length], classId: classIds[n % classIds.length], clientLabelId: randomUUID() }),
    (_e, ack) => ack.annotationId,
  );
  sockets.forEach((s) => s.close());

  // Compare acknowledged labels with the database, read directly once the server has let go of it.
  await server.stop();
  const db = await openDatabase(resolveDatabaseConfig(env));
  const rows = await db.prisma.annotation.groupBy({ by: ["clientLabelId"], where: { projectId }, _count: { _all: true } });
  const stored = new Map(rows.map((r) => [String(r.clientLabelId), r._count._all]));
  await db.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  const lost = result.acked.filter((id) => !stored.has(id)).length;
  const duplicated = [...stored.values()].filter((c) => c > 1).length;

  const base = await baseline();
  const fmt = (x: number) => Number(x.toFixed(1));
  console.log(
    `fewlabel: ${result.labels} labels in ${result.seconds.toFixed(1)} s = ${(result.labels / result.seconds).toFixed(0)} labels/s, fan-out p50 ${fmt(percentile(result.latencies, 50))} ms, p95 ${fmt(percentile(result.latencies, 95))} ms, p99 ${fmt(percentile(result.latencies, 99))} ms, ${result.errors} errors`,
  );
  console.log(
    `baseline (bare socket.io relay, same clients): ${(base.labels / base.seconds).toFixed(0)} msgs/s, fan-out p50 ${fmt(percentile(base.latencies, 50))} ms, p95 ${fmt(percentile(base.latencies, 95))} ms`,
  );
  console.log(
    JSON.stringify({
      clients: CLIENTS,
      labels: result.labels,
      labelsPerSecond: fmt(result.labels / result.seconds),
      fanoutP50Ms: fmt(percentile(result.latencies, 50)),
      fanoutP95Ms: fmt(percentile(result.latencies, 95)),
      fanoutP99Ms: fmt(percentile(result.latencies, 99)),
      lost,
      duplicated,
      database: server.describe,
      baselineRelayPerSecond: fmt(base.labels / base.seconds),
      baselineFanoutP95Ms: fmt(percentile(base.latencies, 95)),
    }),
  );
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
