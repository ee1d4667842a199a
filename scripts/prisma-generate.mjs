// Generates the Prisma client at install time. `prisma generate` only checks that PRISMA_SCHEMA_ENGINE_BINARY names
// an existing file (it never runs it), so we point it at this script: no engine binary is downloaded or needed.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const self = fileURLToPath(import.meta.url);
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= self;
const r = spawnSync("npx", ["--no-install", "prisma", "generate"], { stdio: "inherit", env });
process.exit(r.status ?? 1);
