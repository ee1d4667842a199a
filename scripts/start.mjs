// `npm start`: builds the web app if its sources changed since the last build (turbo caches the build), then runs
// the server. `npm run dev` skips the build and runs Next.js in development mode.
import { spawn, spawnSync } from "node:child_process";

const dev = process.argv.includes("--dev");
// libuv's pool runs both sharp's image work and file writes during ingest; the default 4 threads starve one or the other.
const env = { UV_THREADPOOL_SIZE: "16", ...process.env, NEXT_TELEMETRY_DISABLED: "1", TURBO_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" };

if (!dev) {
  // A first start (or one after the sources changed) builds for a minute or two with little to show: say so.
  const t0 = Date.now();
  console.log("fewlabel: building the web app where its sources changed (a first start takes about 2 minutes on 2 cores; later starts reuse the build)…");
  const build = spawnSync("npx", ["--no-install", "turbo", "run", "build", "--filter=@fewlabel/web", "--output-logs=errors-only"], {
    stdio: "inherit",
    env: { ...env, NODE_ENV: "production" },
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
  console.log(`fewlabel: the web app is built (${Math.round((Date.now() - t0) / 1000)} s); starting the server…`);
}

const server = spawn(process.execPath, ["--import", "tsx", "apps/web/server.ts", ...(dev ? ["--dev"] : [])], {
  stdio: "inherit",
  env: { ...env, NODE_ENV: dev ? "development" : "production" },
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => server.kill(sig));
server.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
