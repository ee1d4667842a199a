// `npm test`: every test there is. Type checks of every workspace, the linter, unit and integration tests (vitest: PGlite and the
// local PostgreSQL, real HTTP, real files), then the end-to-end tests in Debian's Chromium against the built app.
import { spawnSync } from "node:child_process";

const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", TURBO_TELEMETRY_DISABLED: "1" };
const run = (cmd, args, extra = {}) => {
  console.log(`\n$ ${cmd} ${args.join(" ")}`);
  const r = spawnSync(cmd, args, { stdio: "inherit", env: { ...env, ...extra } });
  return r.status ?? 1;
};

const skipE2e = process.argv.includes("--no-e2e");
// Types first: every workspace under TypeScript's strict settings (tsc, no emit), the trainer and the e2e specs too.
let failed = run("npx", ["--no-install", "turbo", "run", "typecheck", "--output-logs=errors-only", "--concurrency=2"]);
// Lint and format (biome.jsonc): lint errors and unformatted files fail; lint warnings are listed to be worked down.
failed ||= run("npx", ["--no-install", "biome", "check", ".", "--max-diagnostics=0"]);
failed ||= run("npx", ["--no-install", "vitest", "run"]);
if (!skipE2e) {
  const build = run("npx", ["--no-install", "turbo", "run", "build", "--filter=@fewlabel/web", "--output-logs=errors-only"], { NODE_ENV: "production" });
  failed ||= build || run("npm", ["run", "-w", "e2e", "test"]);
}
process.exit(failed);
