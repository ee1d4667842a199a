// Smoke test of the whole protocol through the CLI on the `tiny` budget (400 training and 200 test images of
// Fashion-MNIST, a few dozen steps a stage): every arm must train, score above chance and be written out.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { FASHION_MNIST_DIR, fashionMnistAvailable } from "@fewlabel/datasets";
import { RESULT_FILES } from "./write";
import type { ExperimentResults } from "./report/types";

const available = fashionMnistAvailable();
if (!available) console.warn(`experiment smoke test: SKIPPED, Fashion-MNIST not found in ${FASHION_MNIST_DIR} (apt-get install -y dataset-fashion-mnist)`);
const cli = path.join(import.meta.dirname, "cli.ts");
const run = promisify(execFile);

describe.skipIf(!available)("npm run experiment (tiny budget)", () => {
  it("runs every arm, scores each above chance, writes table, plot, config and results, and ends stdout with the JSON summary", { timeout: 240_000 }, async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "fewlabel-experiment-"));
    try {
      const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", cli, "--dataset", "fashion-mnist", "--budget", "tiny", "--seed", "3", "--out", out], {
        env: { ...process.env, FEWLABEL_TF_BACKEND: "wasm" },
        maxBuffer: 16 << 20,
      });
      const last = stdout.trim().split("\n").at(-1)!;
      const summary = JSON.parse(last) as { budget: string; arms: { name: string; labelFraction: number; testAccuracy: number; seconds: number }[] };
      expect(summary.budget).toBe("tiny");
      expect(summary.arms.map((a) => a.name)).toEqual([
        "supervised-100%", "supervised-20%", "supervised-5%", "linear-eval", "simclr-teacher-20%", "simclr-student-20%", "simclr-teacher-5%", "simclr-student-5%",
      ]);
      for (const a of summary.arms) {
        expect(a.testAccuracy, a.name).toBeGreaterThan(0.15); // chance is 0.10; a tiny budget only has to learn something
        expect(a.seconds).toBeGreaterThan(0);
      }
      expect(stderr).toMatch(/simclr-pretrain: done/);
      for (const f of RESULT_FILES) expect(fs.existsSync(path.join(out, f)), f).toBe(true);
      const results = JSON.parse(fs.readFileSync(path.join(out, "results.json"), "utf8")) as ExperimentResults;
      expect(results.arms.map((a) => a.testAccuracy)).toEqual(summary.arms.map((a) => a.testAccuracy));
      expect(results.trainImages).toBe(400);
      expect(results.complete).toBe(true);
      expect(fs.existsSync(path.join(out, "checkpoints")), "a finished run keeps no checkpoint").toBe(false);
      expect(results.testImages).toBe(200);
      expect(results.pretrain!.lastLoss).toBeLessThan(results.pretrain!.firstLoss);
      const config = JSON.parse(fs.readFileSync(path.join(out, "config.json"), "utf8"));
      expect(config).toMatchObject({ budget: "tiny", seed: 3, dataset: "fashion-mnist", labelFractions: [0.2, 0.05] });
      expect(config.derivedSeeds.labelSubset).toBe(3);
      expect(fs.readFileSync(path.join(out, "results.md"), "utf8")).toContain("| simclr-student-5% | 20 (5%) |");
      expect(fs.readFileSync(path.join(out, "accuracy.svg"), "utf8").match(/<circle /g)).toHaveLength(8);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
