// Label-efficiency experiments on a project's own images (the protocol of @fewlabel/experiments), run in a child
// process so training never blocks the web server's event loop. One experiment running or queued per project,
// enforced in the database (advisory lock + check), so it holds across several web instances; runs beyond the
// server's and the author's limits wait in a queue. Progress goes to the Experiment row
// (at most once a second, plus a heartbeat): the page polls it. Polling rather than project events because progress
// ticks are transient: they do not belong in the project's durable, replayed change log, and a poll after a reload
// or on another instance reads the same row.
import { type ChildProcess, fork } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Prisma, PrismaClient } from "@fewlabel/db";
import { budgetConfig, type BudgetName } from "@fewlabel/experiments/budgets";
import { planTasks } from "@fewlabel/experiments/plan";
import { bestBaseline } from "@fewlabel/experiments/report";
import { imageRecord, type ProjectExperimentJob, type WorkerMessage } from "@fewlabel/experiments/project-job";
import { getTrainingCopy, type ImageStore, LocalImageStore } from "@fewlabel/storage";
import { childEntry } from "../child-entry";
import { type ApiServices, trainingCopySideOf } from "../context";

/** What experiments need of the api's services: the database, and the store and size of the training copies. */
type ExperimentServices = Pick<ApiServices, "db" | "store" | "trainingCopySide">;

export interface StartExperimentInput {
  budget: BudgetName;
  labelFractions: number[];
  seed: number;
  testFraction: number;
}

export interface TaskProgress {
  id: string;
  label: string;
  steps: number;
  step: number;
  done: boolean;
  testAccuracy?: number;
  /** A baselines task's strongest baseline (the arms at its fraction are read against it). */
  bestBaseline?: { name: string; testAccuracy: number };
  seconds?: number;
}
export interface ExperimentProgress {
  phase: "preparing" | "training" | "finished";
  tasks: TaskProgress[];
  current: string | null;
  loss?: number;
  imagesPerSecond?: number;
  trainImages?: number;
  testImages?: number;
  skippedImages?: number;
}

export class ExperimentError extends Error {
  constructor(
    readonly code: "CONFLICT" | "BAD_REQUEST" | "NOT_FOUND" | "TOO_MANY_REQUESTS",
    message: string,
  ) {
    super(message);
  }
}

/** A RUNNING row whose heartbeat stopped this long ago belongs to a server that died. */
const ORPHANED_AFTER_MS = 90_000;
const HEARTBEAT_MS = 15_000;
const PROGRESS_WRITE_MS = 1_000;

const worker = childEntry(import.meta.url, () => fileURLToPath(import.meta.resolve("@fewlabel/experiments/project-worker")), "experiments-worker.js");

interface Running {
  experimentId: string;
  child: ChildProcess | null;
  cancelled: boolean;
}

/**
 * Experiments run at once: on one server, over all projects (each is a child process of up to hours of CPU on the
 * web host, and anyone can make projects), and per author. More wait in a queue. FEWLABEL_MAX_EXPERIMENTS (default 1)
 * and FEWLABEL_MAX_EXPERIMENTS_PER_USER (default 1).
 */
export const experimentLimits = {
  perServer: Math.max(1, Number(process.env.FEWLABEL_MAX_EXPERIMENTS) || 1),
  perUser: Math.max(1, Number(process.env.FEWLABEL_MAX_EXPERIMENTS_PER_USER) || 1),
};

/** The experiments this process runs, per database (one web server has one). */
const runners = new WeakMap<PrismaClient, Map<string, Running>>();
const runningIn = (db: PrismaClient) => {
  let m = runners.get(db);
  if (!m) runners.set(db, (m = new Map()));
  return m;
};

/** Marks RUNNING experiments of the project (every project: null) that no live process drives any more as failed. */
export async function reapOrphans(db: PrismaClient | Prisma.TransactionClient, local: Map<string, Running>, projectId: string | null): Promise<void> {
  const stale = await db.experiment.findMany({
    where: { ...(projectId ? { projectId } : {}), status: "RUNNING", updatedAt: { lt: new Date(Date.now() - ORPHANED_AFTER_MS) } },
    select: { id: true, projectId: true },
  });
  const orphans = stale.filter((e) => local.get(e.projectId)?.experimentId !== e.id).map((e) => e.id);
  if (orphans.length > 0) {
    await db.experiment.updateMany({
      where: { id: { in: orphans }, status: "RUNNING" },
      data: { status: "FAILED", error: "Interrupted: the server running it stopped.", finishedAt: new Date() },
    });
  }
}

export async function listExperiments(services: ExperimentServices, projectId: string) {
  const { db } = services;
  await reapOrphans(db, runningIn(db), projectId);
  // Queued runs wait for a free place; a server that restarted starts them from here too.
  void schedule(services).catch((err: unknown) => console.error("fewlabel: experiment queue", err));
  const [rows, queue] = await Promise.all([
    db.experiment.findMany({ where: { projectId }, orderBy: { createdAt: "desc" }, take: 20, include: { createdBy: { select: { name: true } } } }),
    db.experiment.findMany({ where: { status: "QUEUED" }, orderBy: { createdAt: "asc" }, select: { id: true } }),
  ]);
  const position = new Map(queue.map((q, i) => [q.id, i + 1]));
  return rows.map((r) => ({ ...r, queuePosition: position.get(r.id) ?? null }));
}

/** The project's classes and images as an experiment reads them, or why it cannot run on them. */
async function projectInputs(db: PrismaClient, projectId: string) {
  const [classes, images] = await Promise.all([
    db.labelClass.findMany({ where: { projectId }, orderBy: [{ position: "asc" }, { createdAt: "asc" }], select: { id: true, name: true } }),
    db.image.findMany({ where: { projectId, hiddenAt: null }, orderBy: { createdAt: "asc" }, select: { contentHash: true, labelClassId: true } }),
  ]);
  const classIndex = new Map(classes.map((c, i) => [c.id, i]));
  const perClass = new Map<number, number>();
  for (const im of images) if (im.labelClassId) perClass.set(classIndex.get(im.labelClassId)!, (perClass.get(classIndex.get(im.labelClassId)!) ?? 0) + 1);
  if ([...perClass.values()].filter((n) => n >= 2).length < 2) {
    throw new ExperimentError("BAD_REQUEST", "An experiment needs labelled images of at least two classes, two or more of each: label some images first.");
  }
  return { classes, images, classIndex };
}

type StoredConfig = ReturnType<typeof budgetConfig> & { labelFractions: number[]; testFraction: number };

/**
 * Queues an experiment; it starts at once when this server runs fewer than `perServer` experiments and its author
 * fewer than `perUser`, otherwise when a place frees up (the list shows its place in the queue). One experiment
 * running or queued per project.
 */
export async function startExperiment(services: ExperimentServices, projectId: string, userId: string, input: StartExperimentInput) {
  const { db } = services;
  await projectInputs(db, projectId); // refused now, with the reason, rather than when its turn comes
  const config: StoredConfig = {
    ...budgetConfig(input.budget, input.seed, `project:${projectId}`),
    labelFractions: [...new Set(input.labelFractions)].sort((a, b) => b - a),
    testFraction: input.testFraction,
  };
  const progress: ExperimentProgress = { phase: "preparing", current: null, tasks: planTasks(config).map((t) => ({ ...t, step: 0, done: false })) };
  const experiment = await db.$transaction(async (tx) => {
    // Serialises starts per project (across server instances too): check-then-insert cannot race.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`experiment:${projectId}`}))`;
    await reapOrphans(tx, runningIn(db), projectId);
    if (await tx.experiment.findFirst({ where: { projectId, status: { in: ["RUNNING", "QUEUED"] } }, select: { id: true } })) {
      throw new ExperimentError("CONFLICT", "An experiment is already running or queued in this project: wait for it or cancel it.");
    }
    return tx.experiment.create({
      data: { projectId, createdById: userId, status: "QUEUED", config: config as unknown as Prisma.InputJsonValue, progress: progress as unknown as Prisma.InputJsonValue },
    });
  });
  await schedule(services);
  return db.experiment.findUniqueOrThrow({ where: { id: experiment.id } });
}

let scheduling: Promise<void> = Promise.resolve();

/** Starts queued experiments, oldest first, while this server and their authors have places left. */
function schedule(services: ExperimentServices): Promise<void> {
  const run = scheduling.then(() => startQueued(services));
  scheduling = run.catch(() => undefined);
  return run;
}

async function startQueued(services: ExperimentServices) {
  const { db } = services;
  const local = runningIn(db);
  // A run whose server died must not hold its author's place.
  await reapOrphans(db, local, null);
  for (;;) {
    if ([...local.values()].filter((r) => !r.cancelled).length >= experimentLimits.perServer) return;
    const queued = await db.experiment.findMany({
      where: { status: "QUEUED" },
      orderBy: { createdAt: "asc" },
      take: 100,
      select: { id: true, projectId: true, createdById: true, config: true, progress: true },
    });
    if (queued.length === 0) return;
    const running = await db.experiment.groupBy({ by: ["createdById"], where: { status: "RUNNING", createdById: { in: [...new Set(queued.map((q) => q.createdById))] } }, _count: true });
    const byUser = new Map(running.map((r) => [r.createdById, r._count]));
    const next = queued.find((q) => (byUser.get(q.createdById) ?? 0) < experimentLimits.perUser && !local.has(q.projectId));
    if (!next) return;
    // Claimed once, whichever instance gets there first.
    const claimed = await db.experiment.updateMany({ where: { id: next.id, status: "QUEUED" }, data: { status: "RUNNING" } });
    if (claimed.count === 0) continue;
    await launch(services, next.id, next.projectId, next.config as unknown as StoredConfig, next.progress as unknown as ExperimentProgress);
  }
}

async function launch(services: ExperimentServices, id: string, projectId: string, config: StoredConfig, progress: ExperimentProgress) {
  const { db, store } = services;
  const local = runningIn(db);
  const running: Running = { experimentId: id, child: null, cancelled: false };
  local.set(projectId, running);
  const done = () => {
    if (local.get(projectId) === running) local.delete(projectId);
    void schedule(services).catch((err: unknown) => console.error("fewlabel: experiment queue", err));
  };
  let inputs: Awaited<ReturnType<typeof projectInputs>>;
  try {
    inputs = await projectInputs(db, projectId);
  } catch (err) {
    // The labels changed while it waited.
    await db.experiment.updateMany({ where: { id, status: "RUNNING" }, data: { status: "FAILED", error: (err as Error).message, finishedAt: new Date() } });
    done();
    return;
  }
  const { classes, images, classIndex } = inputs;
  void runInChild(
    db,
    store,
    trainingCopySideOf(services),
    running,
    {
      config,
      classes: classes.map((c) => c.name),
      labels: images.map((im) => (im.labelClassId ? classIndex.get(im.labelClassId)! : -1)),
      testFraction: config.testFraction ?? 0.2,
      outDir: "",
    },
    images.map((im) => im.contentHash),
    progress,
  ).finally(done);
}

export async function cancelExperiment(db: PrismaClient, projectId: string, experimentId: string) {
  const running = runningIn(db).get(projectId);
  const updated = await db.experiment.updateMany({
    where: { id: experimentId, projectId, status: { in: ["RUNNING", "QUEUED"] } },
    data: { status: "CANCELLED", finishedAt: new Date(), error: null },
  });
  if (updated.count === 0) throw new ExperimentError("NOT_FOUND", "No running or queued experiment with this id in this project.");
  if (running?.experimentId === experimentId) {
    running.cancelled = true;
    running.child?.kill("SIGTERM");
  }
  // Another instance runs it: its next progress write sees CANCELLED and stops the child (see runInChild).
  return { ok: true };
}

/**
 * For a store the child cannot open itself: the training copies in image order, streamed to images.bin one at a
 * time, so the server never holds a project's images at once and its event loop never waits on a large write.
 */
async function streamImages(store: ImageStore, copySide: number, hashes: string[], dir: string, running: Running): Promise<void> {
  const file = fs.createWriteStream(path.join(dir, "images.bin"));
  const closed = new Promise<void>((resolve, reject) => file.on("close", resolve).on("error", reject));
  // Awaited below; if reading an image throws first, a later stream error must not surface as an unhandled rejection.
  closed.catch(() => {});
  try {
    for (const hash of hashes) {
      if (running.cancelled) break;
      for (const part of imageRecord(await getTrainingCopy(store, hash, copySide))) {
        if (!file.write(part)) await new Promise<void>((resolve, reject) => file.once("drain", resolve).once("error", reject));
      }
    }
  } finally {
    file.end();
  }
  await closed;
}

async function runInChild(db: PrismaClient, store: ImageStore, copySide: number, running: Running, job: ProjectExperimentJob, hashes: string[], progress: ExperimentProgress) {
  const id = running.experimentId;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fewlabel-experiment-${id}-`));
  job.outDir = path.join(dir, "results");
  let lastWrite = 0;
  let writing: Promise<unknown> = Promise.resolve();
  /** Writes progress (and optionally more) while the row is still RUNNING; false once someone cancelled it. */
  const write = async (data: Prisma.ExperimentUpdateManyMutationInput = {}) => {
    lastWrite = Date.now();
    const done = writing.then(() => db.experiment.updateMany({ where: { id, status: "RUNNING" }, data: { progress: progress as unknown as Prisma.InputJsonValue, ...data } }));
    writing = done.catch(() => {});
    const r = await done;
    if (r.count === 0 && !running.cancelled) {
      running.cancelled = true;
      running.child?.kill("SIGTERM");
    }
    return r.count > 0;
  };
  const fail = (message: string) =>
    db.experiment.updateMany({
      where: { id, status: "RUNNING" },
      data: { status: "FAILED", error: message.slice(0, 4000), finishedAt: new Date(), progress: progress as unknown as Prisma.InputJsonValue },
    });
  try {
    if (store instanceof LocalImageStore) {
      // The child reads the training copies from the store itself: the web server only starts, lists and cancels.
      job.store = { rootDir: store.rootDir, trainingCopySide: copySide, hashes };
    } else await streamImages(store, copySide, hashes, dir, running);
    if (running.cancelled) return;
    await fs.promises.writeFile(path.join(dir, "job.json"), JSON.stringify(job));
    if (running.cancelled) return;
    const child = fork(worker.script, [dir], { execArgv: worker.execArgv, stdio: ["ignore", "ignore", "pipe", "ipc"], env: { ...process.env } });
    running.child = child;
    let stderr = "";
    child.stderr!.on("data", (b: Buffer) => void (stderr = (stderr + b.toString()).slice(-4000)));
    const heartbeat = setInterval(() => void write(), HEARTBEAT_MS);
    const outcome: { value: { ok: true; results: unknown } | { ok: false; message: string } | null } = { value: null };
    child.on("message", (m: WorkerMessage) => {
      if (m.type === "config") {
        Object.assign(progress, { phase: "training", trainImages: m.trainImages, testImages: m.testImages, skippedImages: m.skipped });
        void write({ config: m.config as unknown as Prisma.InputJsonValue });
      } else if (m.type === "event") {
        const e = m.event;
        const task = "task" in e ? progress.tasks.find((t) => t.id === e.task) : undefined;
        if (e.type === "task-start") progress.current = e.task;
        else if (e.type === "progress" && task) Object.assign(progress, { loss: e.loss, imagesPerSecond: e.imagesPerSecond }), (task.step = e.step);
        else if (e.type === "arm-result" && task) Object.assign(task, { testAccuracy: e.arm.testAccuracy });
        else if (e.type === "baseline-result" && task) task.step = e.step;
        else if (e.type === "baselines-result" && task) {
          const best = bestBaseline(e.baselines);
          if (best) task.bestBaseline = { name: best.name, testAccuracy: best.testAccuracy };
        } else if (e.type === "task-done" && task) Object.assign(task, { done: true, step: task.steps, seconds: e.seconds });
        if (e.type !== "progress" || Date.now() - lastWrite > PROGRESS_WRITE_MS) void write();
      } else if (m.type === "done") outcome.value = { ok: true, results: m.results };
      else if (m.type === "error") outcome.value = { ok: false, message: m.message };
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    clearInterval(heartbeat);
    await writing;
    if (running.cancelled) return;
    const result = outcome.value;
    if (result?.ok) {
      progress.phase = "finished";
      progress.current = null;
      await write({ status: "SUCCEEDED", results: result.results as Prisma.InputJsonValue, finishedAt: new Date() });
    } else {
      await fail(result?.message ?? `The training process exited with code ${code}${stderr ? `: ${stderr.trim().split("\n").slice(-3).join(" ")}` : ""}.`);
    }
  } catch (err) {
    await fail(err instanceof Error ? err.message : String(err)).catch(() => {});
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
