// Label-efficiency experiments on a project's own images (the protocol of @fewlabel/experiments), run in a child
// process so training never blocks the web server's event loop. One RUNNING experiment per project, enforced in the
// database (advisory lock + check), so it holds across several web instances. Progress goes to the Experiment row
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
import { encodeImageRecords, type ProjectExperimentJob, type WorkerMessage } from "@fewlabel/experiments/project-job";
import { trainingKey, type ImageStore } from "@fewlabel/storage";

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

const workerPath = fileURLToPath(import.meta.resolve("@fewlabel/experiments/project-worker"));
const tsxLoader = import.meta.resolve("tsx");

interface Running {
  experimentId: string;
  child: ChildProcess | null;
  cancelled: boolean;
}

/**
 * Experiments one server runs at once, over all projects: each is a child process of up to hours of CPU on the web
 * host, and anyone can make projects (FEWLABEL_MAX_EXPERIMENTS, default 1).
 */
export const experimentLimits = { perServer: Math.max(1, Number(process.env.FEWLABEL_MAX_EXPERIMENTS) || 1) };

/** Starts between the limit check and their row (a transaction's time). */
let starting = 0;

/** The experiments this process runs, per database (one web server has one). */
const runners = new WeakMap<PrismaClient, Map<string, Running>>();
const runningIn = (db: PrismaClient) => {
  let m = runners.get(db);
  if (!m) runners.set(db, (m = new Map()));
  return m;
};

/** Marks RUNNING experiments of the project that no live process drives any more as failed. */
export async function reapOrphans(db: PrismaClient | Prisma.TransactionClient, local: Map<string, Running>, projectId: string): Promise<void> {
  const stale = await db.experiment.findMany({ where: { projectId, status: "RUNNING", updatedAt: { lt: new Date(Date.now() - ORPHANED_AFTER_MS) } }, select: { id: true } });
  const orphans = stale.filter((e) => local.get(projectId)?.experimentId !== e.id).map((e) => e.id);
  if (orphans.length > 0) {
    await db.experiment.updateMany({
      where: { id: { in: orphans }, status: "RUNNING" },
      data: { status: "FAILED", error: "Interrupted: the server running it stopped.", finishedAt: new Date() },
    });
  }
}

export async function listExperiments(db: PrismaClient, projectId: string) {
  await reapOrphans(db, runningIn(db), projectId);
  return db.experiment.findMany({ where: { projectId }, orderBy: { createdAt: "desc" }, take: 20, include: { createdBy: { select: { name: true } } } });
}

export async function startExperiment(services: { db: PrismaClient; store: ImageStore }, projectId: string, userId: string, input: StartExperimentInput) {
  const { db, store } = services;
  const local = runningIn(db);
  const [classes, images] = await Promise.all([
    db.labelClass.findMany({ where: { projectId }, orderBy: [{ position: "asc" }, { createdAt: "asc" }], select: { id: true, name: true } }),
    db.image.findMany({ where: { projectId }, orderBy: { createdAt: "asc" }, select: { contentHash: true, labelClassId: true } }),
  ]);
  const classIndex = new Map(classes.map((c, i) => [c.id, i]));
  const perClass = new Map<number, number>();
  for (const im of images) if (im.labelClassId) perClass.set(classIndex.get(im.labelClassId)!, (perClass.get(classIndex.get(im.labelClassId)!) ?? 0) + 1);
  if ([...perClass.values()].filter((n) => n >= 2).length < 2) {
    throw new ExperimentError("BAD_REQUEST", "An experiment needs labelled images of at least two classes, two or more of each: label some images first.");
  }
  const config = { ...budgetConfig(input.budget, input.seed, `project:${projectId}`), labelFractions: [...new Set(input.labelFractions)].sort((a, b) => b - a) };
  const progress: ExperimentProgress = { phase: "preparing", current: null, tasks: planTasks(config).map((t) => ({ ...t, step: 0, done: false })) };

  // Counted and reserved in one synchronous step, so that starts racing in other projects cannot both pass. This
  // project's own run is left to the per-project rule below (a clearer answer: wait for it or cancel it).
  const busy = [...local.entries()].filter(([p, r]) => p !== projectId && !r.cancelled).length + starting;
  if (busy >= experimentLimits.perServer) {
    throw new ExperimentError("TOO_MANY_REQUESTS", `This server already runs ${busy === 1 ? "an experiment" : `${busy} experiments`} (in this or another project); start yours when it has finished.`);
  }
  starting++;
  const experiment = await db.$transaction(async (tx) => {
    // Serialises starts per project (across server instances too): check-then-insert cannot race.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`experiment:${projectId}`}))`;
    await reapOrphans(tx, local, projectId);
    if (await tx.experiment.findFirst({ where: { projectId, status: "RUNNING" }, select: { id: true } })) {
      throw new ExperimentError("CONFLICT", "An experiment is already running in this project: wait for it or cancel it.");
    }
    return tx.experiment.create({ data: { projectId, createdById: userId, config: config as unknown as Prisma.InputJsonValue, progress: progress as unknown as Prisma.InputJsonValue } });
  }).finally(() => starting--);
  const running: Running = { experimentId: experiment.id, child: null, cancelled: false };
  local.set(projectId, running);
  void runInChild(db, store, projectId, running, {
    config,
    classes: classes.map((c) => c.name),
    labels: images.map((im) => (im.labelClassId ? classIndex.get(im.labelClassId)! : -1)),
    testFraction: input.testFraction,
    outDir: "",
  }, images.map((im) => im.contentHash), progress).finally(() => {
    if (local.get(projectId) === running) local.delete(projectId);
  });
  return experiment;
}

export async function cancelExperiment(db: PrismaClient, projectId: string, experimentId: string) {
  const running = runningIn(db).get(projectId);
  const updated = await db.experiment.updateMany({
    where: { id: experimentId, projectId, status: "RUNNING" },
    data: { status: "CANCELLED", finishedAt: new Date(), error: null },
  });
  if (updated.count === 0) throw new ExperimentError("NOT_FOUND", "No running experiment with this id in this project.");
  if (running?.experimentId === experimentId) {
    running.cancelled = true;
    running.child?.kill("SIGTERM");
  }
  // Another instance runs it: its next progress write sees CANCELLED and stops the child (see runInChild).
  return { ok: true };
}

async function runInChild(db: PrismaClient, store: ImageStore, projectId: string, running: Running, job: ProjectExperimentJob, hashes: string[], progress: ExperimentProgress) {
  const id = running.experimentId;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fewlabel-experiment-${id}-`));
  job.outDir = path.join(dir, "results");
  let lastWrite = 0;
  let writing: Promise<unknown> = Promise.resolve();
  /** Writes progress (and optionally more) while the row is still RUNNING; false once someone cancelled it. */
  const write = async (data: Prisma.ExperimentUpdateManyMutationInput = {}) => {
    lastWrite = Date.now();
    const done = writing.then(() =>
      db.experiment.updateMany({ where: { id, status: "RUNNING" }, data: { progress: progress as unknown as Prisma.InputJsonValue, ...data } }),
    );
    writing = done.catch(() => {});
    const r = await done;
    if (r.count === 0 && !running.cancelled) {
      running.cancelled = true;
      running.child?.kill("SIGTERM");
    }
    return r.count > 0;
  };
  const fail = (message: string) =>
    db.experiment.updateMany({ where: { id, status: "RUNNING" }, data: { status: "FAILED", error: message.slice(0, 4000), finishedAt: new Date(), progress: progress as unknown as Prisma.InputJsonValue } });
  try {
    // The training copies (small normalised PNGs) in image order, for the child to decode.
    const pngs: Buffer[] = [];
    for (const hash of hashes) {
      if (running.cancelled) return;
      pngs.push(await store.get(trainingKey(hash)));
    }
    fs.writeFileSync(path.join(dir, "images.bin"), encodeImageRecords(pngs));
    fs.writeFileSync(path.join(dir, "job.json"), JSON.stringify(job));
    if (running.cancelled) return;
    const child = fork(workerPath, [dir], { execArgv: ["--import", tsxLoader], stdio: ["ignore", "ignore", "pipe", "ipc"], env: { ...process.env } });
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
        }
        else if (e.type === "task-done" && task) Object.assign(task, { done: true, step: task.steps, seconds: e.seconds });
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
