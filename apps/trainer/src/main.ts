// The fewlabel trainer: a separate process that runs SimCLR v2's stages on a project's images, given only the server's
// URL and a trainer token (FEWLABEL_URL, FEWLABEL_TRAINER_TOKEN). It never opens the database: it pulls state and
// images over HTTP and pushes checkpoints, progress, models and pseudo-labels back through the api. One project at a
// time per process (TensorFlow.js has one backend per process); with an instance token it takes turns over all
// projects. Stop it with SIGINT/SIGTERM: the running stage checkpoints and the leases are released (the same signal
// again, seconds later, exits at once).
import fs from "node:fs";
import os from "node:os";
import { selectBackend } from "@fewlabel/ml";
import { sizeForHardware } from "./model-sizing";
import { ActivityReporter } from "./activity";
import { createTrainerApi } from "./api-client";
import { readConfig } from "./config";
import { LeaseKeeper } from "./lease";
import { MemoryBudget } from "./working-copies";
import { ProjectTrainer } from "./project-trainer";
import { isDueWork, isIdleWork } from "./reconcile";
import { StageInterrupted } from "./stage-run";

const log = (m: string) => console.log(`[trainer] ${m}`);

/** Waits `ms`, or less when shutting down; the abort listener goes when the wait ends (polls must not pile them up). */
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });

/** Stop signals this soon after the first are copies of it (see the handler in main). */
const REPEATED_SIGNAL_GRACE_MS = 3000;
/** How often a running pretraining looks at whether another project's work is due (one summary query a held project). */
const TURN_CHECK_MS = 5000;

/**
 * A forced exit still hands the leases back (briefly: a stuck server must not hold the exit up), so the next trainer
 * need not wait for them to lapse. This process writes nothing after it; the run it leaves RUNNING is marked
 * interrupted by the release.
 */
async function exitNow(leases: Map<string, LeaseKeeper>): Promise<never> {
  const timeout = new Promise((resolve) => setTimeout(resolve, 2000));
  await Promise.race([Promise.all([...leases.values()].map((l) => l.release())), timeout]);
  process.exit(1);
}

/**
 * For a container's HEALTHCHECK (docker/trainer.Dockerfile): the file's time is renewed every 10 s while the event
 * loop turns, so a trainer that hangs (not one that is busy: a training step yields within seconds) goes stale.
 */
function keepAliveFile(file: string | undefined): void {
  if (!file) return;
  const touch = () => fs.writeFile(file, `${new Date().toISOString()}\n`, () => undefined);
  touch();
  setInterval(touch, 10_000).unref();
}

async function main() {
  const envConfig = readConfig();
  // Below the web server's priority, before any worker thread exists (Linux threads inherit their creator's nice
  // value): the trainer may then use every core, and a labelling request still gets one at once.
  if (process.env.FEWLABEL_TRAINER_NICE !== "0") {
    try {
      os.setPriority(os.constants.priority.PRIORITY_BELOW_NORMAL);
    } catch {
      // Not permitted here (some containers): run at normal priority.
    }
  }
  const api = createTrainerApi(envConfig.url, envConfig.token);
  const backend = await selectBackend({ log: true });
  // The encoder and batch follow the hardware (model-sizing.ts); said in the log and with every run's backend.
  const sizing = sizeForHardware(envConfig, backend.accelerator);
  const cfg = sizing.config;
  const backendName = `${backend.name} (${backend.detail}); ${sizing.summary}`;
  log(`${cfg.name}: backend ${backendName}; server ${cfg.url}`);

  const leases = new Map<string, LeaseKeeper>();
  const shutdown = new AbortController();
  keepAliveFile(process.env.FEWLABEL_HEALTH_FILE);
  let stopSignalAt = 0;
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, () => {
      if (!shutdown.signal.aborted) {
        stopSignalAt = Date.now();
        log(`${sig}: finishing the current step, checkpointing, releasing leases (send it again to exit at once)`);
        shutdown.abort("stopping");
        return;
      }
      // One Ctrl-C usually arrives more than once: the terminal signals the whole process group, and a parent passes
      // it on as well (npm does; `npm start`'s web server stops its trainer with SIGTERM). Those copies must not cut
      // the checkpoint short; only a signal that comes later is someone insisting.
      if (Date.now() - stopSignalAt < REPEATED_SIGNAL_GRACE_MS) return;
      log(`${sig} again: exiting without a checkpoint`);
      void exitNow(leases);
    });
  }

  const trainers = new Map<string, ProjectTrainer>();
  /** Memory for decoded images, shared by every project held here; past it images are read from a file per project. */
  const memory = new MemoryBudget(cfg.workingCopies.memoryBytes);
  /** After a failure a project rests a while, so a persistent error does not spin. */
  const restUntil = new Map<string, number>();
  const lastWait = new Map<string, string>();
  /** Tells people what the trainer does for each project and why, when that changes (the training page shows it). */
  const activity = new ActivityReporter(api.trpc, log);

  /**
   * Fair turns across projects: while one project's pretraining runs (the long stage: minutes to hours), the others'
   * summaries are looked at every few seconds; once the run has had FEWLABEL_TURN_SECONDS (at once, when it is only
   * an idle project's further pretraining) and another project has work due (a fine-tune after new labels, quick
   * suggestions, stage 3, a first pretraining), the run stops at its next step with a checkpoint and the loop goes
   * on to the others; the project continues from that step at its next turn.
   */
  const watchTurn = (current: string, turn: AbortController): NodeJS.Timeout => {
    const started = Date.now();
    let checking = false;
    return setInterval(() => {
      if (checking || turn.signal.aborted) return;
      const running = trainers.get(current)?.running;
      if (running?.kind !== "pretrain") return;
      if (!isIdleWork(running) && Date.now() - started < cfg.turnSeconds * 1000) return;
      checking = true;
      void (async () => {
        for (const [id, other] of trainers) {
          const held = leases.get(id);
          if (id === current || !held || held.isLost || (restUntil.get(id) ?? 0) > Date.now()) continue;
          const { action } = await other.plan().catch(() => ({ action: { kind: "wait" as const, reason: "" } }));
          if (isDueWork(action)) {
            log(`project ${current}: pretraining gives way to project ${id} (${action.kind} due)`);
            turn.abort();
            return;
          }
        }
      })().finally(() => (checking = false));
    }, TURN_CHECK_MS);
  };

  while (!shutdown.signal.aborted) {
    let worked = false;
    try {
      const { projects } = await api.trpc.projects.query();
      // A project that is gone (deleted, or no longer this token's) or whose lease another trainer took is no longer
      // kept in memory here: its decoded images and embeddings are freed, so a trainer's memory follows the projects
      // it works on rather than every project it has ever seen.
      const listed = new Set(projects.map((p) => p.id));
      const forget = (id: string, why: string) => {
        trainers.get(id)?.dispose();
        if (trainers.delete(id)) log(`project ${id}: ${why}; its images and embeddings are no longer kept here`);
        lastWait.delete(id);
      };
      for (const id of trainers.keys()) {
        if (listed.has(id)) continue;
        forget(id, "no longer listed (deleted, or not this token's)");
        restUntil.delete(id);
        await leases
          .get(id)
          ?.release()
          .catch(() => {});
        leases.delete(id);
      }
      for (const p of projects) {
        if (shutdown.signal.aborted) break;
        if ((restUntil.get(p.id) ?? 0) > Date.now()) continue;
        let lease = leases.get(p.id);
        if (lease?.isLost) {
          leases.delete(p.id);
          lease = undefined;
        }
        lease ??= (await LeaseKeeper.claim(api, p.id, cfg.name, cfg.leaseSeconds, log)) ?? undefined;
        if (!lease) {
          // Another trainer holds it now (ours lapsed or was taken over): it has the images; we need not.
          forget(p.id, "another trainer holds its lease");
          continue;
        }
        leases.set(p.id, lease);
        let trainer = trainers.get(p.id);
        if (!trainer) {
          trainer = new ProjectTrainer(api, cfg, p.id, backendName, (m) => log(`${p.name}: ${m}`), memory);
          trainer.accelerator = backend.accelerator;
          // Work is announced before it starts (a stage runs for minutes); waits are announced below.
          trainer.onDecision = (action, held) => activity.report(p.id, held.leaseId, action);
          trainer.onActivity = (said, held) => activity.say(p.id, held.leaseId, said);
          trainers.set(p.id, trainer);
        }
        const turn = new AbortController();
        const watcher = watchTurn(p.id, turn);
        try {
          const action = await trainer.runNext(lease, shutdown.signal, turn.signal);
          if (action.kind === "wait") {
            await activity.report(p.id, lease.leaseId, action);
            if (lastWait.get(p.id) !== action.reason) log(`${p.name}: ${action.reason}`);
            lastWait.set(p.id, action.reason);
          } else {
            worked = true;
            lastWait.delete(p.id);
          }
        } catch (err) {
          if (err instanceof StageInterrupted) {
            worked = err.why !== "paused";
            lastWait.delete(p.id);
            if (err.why === "another project's turn") {
              await activity.report(p.id, lease.leaseId, { kind: "wait", reason: "waiting for its turn: the trainer serves another project whose work is due, then continues here" });
            }
            continue;
          }
          log(`${p.name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
          // People see it on the training page (a failed run reports its own error; this covers failures outside one).
          const message = err instanceof Error ? err.message : String(err);
          await api.trpc.reportError.mutate({ projectId: p.id, leaseId: lease.leaseId, message: message.slice(0, 2000) || "unknown error" }).catch(() => {});
          restUntil.set(p.id, Date.now() + 6 * cfg.pollIntervalMs);
          // Not "Now: fine-tuning" for the time it rests: the page shows the error, and that it will try again.
          await activity.report(p.id, lease.leaseId, { kind: "wait", reason: `waiting to try again after an error (in ${Math.round((6 * cfg.pollIntervalMs) / 1000)} s)` });
        } finally {
          clearInterval(watcher);
        }
      }
    } catch (err) {
      // The server is unreachable or restarting: try again shortly.
      log(`cannot reach the server: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!worked) await sleep(cfg.pollIntervalMs, shutdown.signal);
  }
  await Promise.all([...leases.values()].map((l) => l.release()));
  log("stopped");
  process.exit(0);
}

main().catch((err) => {
  console.error(`[trainer] could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
