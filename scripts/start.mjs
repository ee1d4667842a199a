// `npm start`: builds the web app if its sources changed since the last build (turbo caches the build), then runs
// the server. `npm run dev` skips the build and runs Next.js in development mode.
import { spawn, spawnSync } from "node:child_process";

const dev = process.argv.includes("--dev");
// libuv's pool runs both sharp's image work and file writes during ingest; the default 4 threads starve one or the other.
const env = { UV_THREADPOOL_SIZE: "16", ...process.env, NEXT_TELEMETRY_DISABLED: "1", TURBO_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" };

if (!dev) {
  const build = spawnSync("npx", ["--no-install", "turbo", "run", "build", "--filter=@fewlabel/web", "--output-logs=errors-only"], {
    stdio: "inherit",
    env: { ...env, NODE_ENV: "production" },
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const server = spawn(process.execPath, ["--import", "tsx", "apps/web/server.ts", ...(dev ? ["--dev"] : [])], {
  stdio: "inherit",
  env: { ...env, NODE_ENV: dev ? "development" : "production" },
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => server.kill(sig));
server.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
