// The real product for `npm run bench:loop`, started as `npm start` starts it (scripts/start.mjs): the production web
// server, apps/web/server.ts, whose own local trainer child (apps/web/src/server/local-trainer.ts) does the training.
// Nothing of the caller's FEWLABEL_* settings (nor DATABASE_URL / REDIS_URL) is passed on: every trainer setting is
// the product's default, on a fresh embedded database in a data directory of its own and a free port.
// The server runs in a process group of its own, so stopping it (SIGTERM, then SIGKILL of the whole group) also ends
// the trainer child; the group is killed too if the bench itself exits or is interrupted.
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
const webDir = path.join(repoRoot, "apps/web");

/**
 * The environment `npm start` gives the server, minus every setting the caller may have made for fewlabel.
 * `overrides` (FEWLABEL_* trainer settings) exist only to check the bench itself quickly (--trainer-env); a
 * measurement has none.
 */
export function productEnv(callerEnv: NodeJS.ProcessEnv, set: { dataDir: string; port: number; overrides?: Record<string, string> }): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = { UV_THREADPOOL_SIZE: "16" };
  for (const [k, v] of Object.entries(callerEnv)) {
    if (/^FEWLABEL_/.test(k) || ["DATABASE_URL", "REDIS_URL", "PORT", "NODE_ENV", "BENCH_PROFILE"].includes(k)) continue;
    env[k] = v;
  }
  return { ...env, ...set.overrides, NEXT_TELEMETRY_DISABLED: "1", TURBO_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1", NODE_ENV: "production", FEWLABEL_DATA_DIR: set.dataDir, PORT: String(set.port) };
}

/** Every process group this module started and has not yet seen end; killed on exit whatever happens. */
const liveGroups = new Set<number>();
process.on("exit", () => {
  for (const pid of liveGroups) killGroup(pid, "SIGKILL");
});

function killGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Spawns a command as the leader of a new process group that is killed when the bench exits. */
export function spawnGroup(command: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string; stdio?: "pipe" | "inherit" }): ChildProcess {
  const child = spawn(command, args, { cwd: options.cwd ?? repoRoot, env: options.env, detached: true, stdio: ["ignore", options.stdio ?? "pipe", options.stdio ?? "pipe"] });
  if (child.pid) {
    const pid = child.pid;
    liveGroups.add(pid);
    child.once("exit", () => {
      // The leader is gone; anything it left in its group (a trainer child) goes with it.
      killGroup(pid, "SIGKILL");
      liveGroups.delete(pid);
    });
  }
  return child;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Builds the web app (as `npm start` does) unless a production build is already there. */
export async function ensureBuild(log: (line: string) => void): Promise<void> {
  if (fs.existsSync(path.join(webDir, ".next", "BUILD_ID"))) return;
  log("no production build of apps/web yet: building it as `npm start` would (about a minute)");
  const build = spawnGroup("npx", ["--no-install", "turbo", "run", "build", "--filter=@fewlabel/web", "--output-logs=errors-only"], {
    env: { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", TURBO_TELEMETRY_DISABLED: "1" },
    stdio: "inherit",
  });
  const code = await exited(build);
  if (code !== 0) throw new Error(`the web build failed (exit code ${code})`);
}

export interface RunningProduct {
  url: string;
  /** The web server's process id (its local trainer is a child of it). */
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts the server on `dataDir` and resolves once it says it is ready. Its output (and the trainer's) goes to
 * `logFile`; lines that report trouble, and the trainer's published versions, also go to `echo`.
 */
export async function startProduct(o: { dataDir: string; logFile: string; echo: (line: string) => void; trainerOverrides?: Record<string, string> }): Promise<RunningProduct> {
  const port = await freePort();
  const env = productEnv(process.env, { dataDir: o.dataDir, port, overrides: o.trainerOverrides });
  const server = spawnGroup(process.execPath, ["--import", "tsx", "apps/web/server.ts"], { env });
  const log = fs.createWriteStream(o.logFile, { flags: "a" });
  let ready: (() => void) | undefined;
  let pending = "";
  const onData = (chunk: Buffer) => {
    log.write(chunk);
    pending += chunk.toString();
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const line of lines) {
      if (/fewlabel: ready on/.test(line)) ready?.();
      if (/error|fail|could not|stopped|published version/i.test(line)) o.echo(line);
    }
  };
  server.stdout!.on("data", onData);
  server.stderr!.on("data", onData);

  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      // SIGTERM: the server stops its trainer (which checkpoints and releases its lease), then itself.
      server.kill("SIGTERM");
      const timer = setTimeout(() => killGroup(server.pid!, "SIGKILL"), 30_000);
      await exited(server);
      clearTimeout(timer);
    }
    killGroup(server.pid!, "SIGKILL");
    await new Promise<void>((r) => log.end(r));
  };

  try {
    await new Promise<void>((resolve, reject) => {
      ready = resolve;
      server.once("exit", (code) => reject(new Error(`the server exited before it was ready (exit code ${code}); see ${o.logFile}`)));
      setTimeout(() => reject(new Error(`the server was not ready within 180 s; see ${o.logFile}`)), 180_000).unref();
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `http://127.0.0.1:${port}`, pid: server.pid!, stop };
}
