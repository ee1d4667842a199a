// Starts bench/server.ts in its own process and waits for it to listen (see that file).
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

export interface BenchServer {
  port: number;
  describe: string;
  stop(): Promise<void>;
  /** Kills the process at once (SIGKILL: no shutdown, as a crash) and resolves when it is gone. */
  crash(): Promise<void>;
}

/** BENCH_PROFILE=<dir> writes a CPU profile of the server process there. */
export function startServer(args: string[], env: NodeJS.ProcessEnv): Promise<BenchServer> {
  const profile = process.env.BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const child = spawn(process.execPath, [...profile, "--import", "tsx", path.join(here, "server.ts"), ...args], { env, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = out.match(/READY (\d+)(.*)/);
      if (m) {
        resolve({
          port: Number(m[1]),
          describe: m[2]!.trim(),
          stop: () =>
            new Promise((r) => {
              child.once("exit", () => r());
              child.kill("SIGTERM");
            }),
          crash: () =>
            new Promise((r) => {
              child.once("exit", () => r());
              child.kill("SIGKILL");
            }),
        });
      }
    });
    child.once("exit", (code) => reject(new Error(`bench server exited (${code})`)));
  });
}
