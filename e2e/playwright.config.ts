// End-to-end tests against the real, built app (custom server + Next.js) on a fresh embedded database, in Debian's
// Chromium (Playwright's own browser downloads are not possible here).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { defineConfig } from "@playwright/test";

const port = Number(process.env.E2E_PORT ?? 3217);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "fewlabel-e2e-"));
const repoRoot = path.resolve(import.meta.dirname, "..");

export default defineConfig({
  testDir: "tests",
  timeout: 120_000,
  expect: { timeout: 15_000 },
  workers: 1,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
  },
  webServer: {
    command: "node --import tsx apps/web/server.ts",
    cwd: repoRoot,
    url: `http://127.0.0.1:${port}/api/trpc/auth.me`,
    reuseExistingServer: false,
    timeout: 120_000,
    env: { PORT: String(port), FEWLABEL_DATA_DIR: dataDir, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", DATABASE_URL: "", FEWLABEL_LOCAL_TRAINER: "0" },
    stdout: "pipe",
  },
});
