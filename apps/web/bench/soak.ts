// `npm run bench:soak`: two web instances (child processes) on one PostgreSQL database, sharing socket.io rooms through
// Redis, and N simulated annotators (socket.io clients, each its own user) labelling one project with two annotators
// per image for SECONDS: single labels, bulk labels and undos, each resent with the same client id when no answer
// came, sockets dropped and reconnected to either instance at random, and instance B killed with SIGKILL part-way and
// started again. Then, reading the database directly, it checks what people were told against what is stored:
//   - lost: an acknowledged label or bulk label that is not stored; duplicated: one stored more than once;
//   - image rows whose label, vote count or disagreement flag differ from their votes (by the documented rule);
//   - gaps or repeats in the project's event sequence numbers.
// Options (environment): SOAK_CLIENTS (12), SOAK_SECONDS (60), SOAK_IMAGES (60), DATABASE_URL (default: a new
// database on the local PostgreSQL), REDIS_URL (redis://127.0.0.1:6379). Last line: one JSON object.
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { resolveLabel } from "@fewlabel/api";
import { openDatabase, resolveDatabaseConfig } from "@fewlabel/db";
import { createThrowawayDatabase } from "@fewlabel/db/testing";
import { mulberry32 } from "@fewlabel/ml/random";
import sharp from "sharp";
import { TestUser } from "../test/harness";
import { call, connect, type LiveSocket } from "../test/realtime-harness";
import { type BenchServer, startServer } from "./start-server";

const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 12);
const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const IMAGES = Number(process.env.SOAK_IMAGES ?? 60);
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** Sends with an answer deadline; no answer (a dropped socket, a killed instance) is a resend with the same payload. */
async function withResends<T extends Record<string, unknown>>(send: () => Promise<T>, tries = 4): Promise<{ reply: T | null; tries: number }> {
  for (let k = 1; k <= tries; k++) {
    const reply = await Promise.race([send(), new Promise<null>((r) => setTimeout(() => r(null), 3_000))]).catch(() => null);
    if (reply) return { reply, tries: k };
    await new Promise((r) => setTimeout(r, 300));
  }
  return { reply: null, tries };
}

async function main() {
  const throwaway = process.env.DATABASE_URL ? null : await createThrowawayDatabase("fewlabel_soak");
  const databaseUrl = process.env.DATABASE_URL ?? throwaway!.url;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "fewlabel-soak-"));
  const env = { ...process.env, DATABASE_URL: databaseUrl, REDIS_URL, FEWLABEL_DATA_DIR: dataDir };
  console.log(`bench:soak: ${CLIENTS} annotators, ${SECONDS} s, ${IMAGES} images, two instances on ${databaseUrl.replace(/\/\/[^@]*@/, "//")}`);
  const servers: BenchServer[] = [await startServer([], env), await startServer([], env)];
  const url = (i: number) => `http://127.0.0.1:${servers[i]!.port}`;

  const run = Date.now().toString(36);
  const owner = await TestUser.signUp(url(0), `owner-${run}@soak.example`);
  const { id: projectId } = await owner.trpc.projects.create.mutate({ name: "soak", classes: [{ name: "cat" }, { name: "dog" }, { name: "bird" }] });
  await owner.trpc.projects.update.mutate({ projectId, annotatorsPerImage: 2 });
  const classIds = (await owner.trpc.classes.list.query({ projectId })).map((c) => c.id);
  const { uploadId } = await owner.trpc.uploads.start.mutate({ projectId });
  const files = await Promise.all(
    Array.from({ length: IMAGES }, async (_, i) => ({
      path: `img-${i}.png`,
      data: await sharp(Buffer.from(Array.from({ length: 256 }, (_, k) => (k === i % 256 ? 255 : (i * 7) % 200))), { raw: { width: 16, height: 16, channels: 1 } })
        .png()
        .toBuffer(),
    })),
  );
  await owner.uploadFiles(uploadId, files);
  const imageIds = (await owner.trpc.images.list.query({ projectId, limit: 1000 })).items.map((i) => i.id);

  const users = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => TestUser.signUp(url(i % 2), `annotator${i}-${run}@soak.example`)));
  const { token } = await owner.trpc.invites.create.mutate({ projectId, role: "ANNOTATOR" });
  for (const u of users) await u.trpc.invites.accept.mutate({ token });

  const acked = { single: [] as { id: string; user: number }[], bulk: [] as { id: string; user: number; images: number }[], undos: 0 };
  const counts = { sent: 0, resent: 0, unanswered: 0, refused: 0, reconnects: 0 };
  const deadline = Date.now() + SECONDS * 1000;
  let crashed = false;

  async function annotator(i: number) {
    const r = mulberry32(1000 + i);
    const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
    let socket: LiveSocket | null = null;
    const open = async () => {
      for (;;) {
        try {
          socket = await connect(url(Math.floor(r() * 2)), users[i]!.cookie);
          const joined = await call(socket, "project:join", { projectId });
          if (joined.ok) return;
          socket.close();
        } catch {
          // that instance is down: try again
        }
        await new Promise((res) => setTimeout(res, 200));
      }
    };
    await open();
    while (Date.now() < deadline) {
      const roll = r();
      if (roll < 0.05 || !socket!.connected) {
        socket!.close();
        counts.reconnects++;
        await open();
        continue;
      }
      counts.sent++;
      if (roll < 0.75) {
        const payload = { projectId, imageId: pick(imageIds), classId: pick(classIds), clientLabelId: randomUUID() };
        const { reply, tries } = await withResends(() => (socket!.connected ? call(socket!, "label:set", payload) : Promise.reject(new Error("down"))));
        counts.resent += tries - 1;
        if (!reply) counts.unanswered++;
        else if (reply.ok) acked.single.push({ id: payload.clientLabelId, user: i });
        else counts.refused++;
      } else if (roll < 0.9) {
        const images = [pick(imageIds), pick(imageIds), pick(imageIds)].filter((x, k, all) => all.indexOf(x) === k);
        const payload = { projectId, imageIds: images, classId: pick(classIds), clientLabelId: randomUUID() };
        const { reply, tries } = await withResends(() => (socket!.connected ? call(socket!, "label:setMany", payload) : Promise.reject(new Error("down"))));
        counts.resent += tries - 1;
        if (!reply) counts.unanswered++;
        else if (reply.ok) acked.bulk.push({ id: payload.clientLabelId, user: i, images: images.length });
        else counts.refused++;
      } else {
        // Undo is not idempotent: it is sent once, and an unanswered one is only counted.
        const reply = await Promise.race([call(socket!, "label:undo", { projectId }), new Promise<null>((res) => setTimeout(() => res(null), 3_000))]).catch(() => null);
        if (reply?.ok) acked.undos++;
        else if (!reply) counts.unanswered++;
      }
    }
    socket!.close();
  }

  const chaos = (async () => {
    await new Promise((res) => setTimeout(res, SECONDS * 400));
    console.log(`[${(SECONDS * 0.4).toFixed(0)} s] killing instance B (SIGKILL)`);
    await servers[1]!.crash();
    crashed = true;
    await new Promise((res) => setTimeout(res, 3_000));
    servers[1] = await startServer([], env);
    console.log(`instance B restarted on port ${servers[1].port}`);
  })();
  await Promise.all([...users.map((_, i) => annotator(i)), chaos]);
  await Promise.all(servers.map((s) => s.stop()));

  // What the database holds, read directly.
  const db = await openDatabase(resolveDatabaseConfig(env));
  const annotations = await db.prisma.annotation.findMany({ where: { projectId, clientLabelId: { not: null } }, select: { clientLabelId: true, authorId: true } });
  const byClientId = new Map<string, number>();
  for (const a of annotations) {
    // Bulk labels store one annotation per image, with ids `<clientLabelId>#<n>`.
    const key = a.clientLabelId!.split("#")[0]!;
    byClientId.set(key, (byClientId.get(key) ?? 0) + 1);
  }
  const lost = acked.single.filter((a) => !byClientId.has(a.id)).length + acked.bulk.filter((b) => !byClientId.has(b.id)).length;
  const duplicated = acked.single.filter((a) => (byClientId.get(a.id) ?? 0) > 1).length + acked.bulk.filter((b) => (byClientId.get(b.id) ?? 0) > b.images).length;
  const [images, votes, events] = await Promise.all([
    db.prisma.image.findMany({ where: { projectId }, select: { id: true, labelClassId: true, voteCount: true, disagreement: true } }),
    db.prisma.vote.findMany({ where: { projectId }, select: { imageId: true, userId: true, classId: true, unsure: true, seq: true, decision: true } }),
    db.prisma.projectEvent.findMany({ where: { projectId }, select: { seq: true }, orderBy: { seq: "asc" } }),
  ]);
  const votesOf = new Map<string, typeof votes>();
  for (const v of votes) votesOf.set(v.imageId, [...(votesOf.get(v.imageId) ?? []), v]);
  const inconsistent = images.filter((im) => {
    const r = resolveLabel(votesOf.get(im.id) ?? []);
    return r.classId !== im.labelClassId || r.voteCount !== im.voteCount || r.disagreement !== im.disagreement;
  });
  const seqs = events.map((e) => Number(e.seq));
  const gaps = seqs.filter((s, k) => k > 0 && s !== seqs[k - 1]! + 1).length;
  await db.close();
  await throwaway?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });

  console.log(
    `acknowledged: ${acked.single.length} labels, ${acked.bulk.length} bulk labels, ${acked.undos} undos; ${counts.resent} resends, ${counts.unanswered} unanswered, ${counts.refused} refused, ${counts.reconnects} reconnects; instance B killed: ${crashed}`,
  );
  console.log(`checked: ${lost} lost, ${duplicated} duplicated, ${inconsistent.length} of ${images.length} image rows disagree with their votes, ${gaps} gaps in ${seqs.length} event numbers`);
  console.log(
    JSON.stringify({
      clients: CLIENTS,
      seconds: SECONDS,
      acknowledged: { labels: acked.single.length, bulk: acked.bulk.length, undos: acked.undos },
      ...counts,
      crashedInstance: crashed,
      lost,
      duplicated,
      inconsistentImages: inconsistent.length,
      images: images.length,
      eventGaps: gaps,
      events: seqs.length,
    }),
  );
  process.exit(lost || duplicated || inconsistent.length || gaps ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
