// Smoke test of the whole protocol through the CLI on the `tiny` budget (400 training and 200 test images of
// Fashion-MNIST, a few dozen steps a stage): every arm must train, score above chance and be written out, beside
// the baselines at its fraction.
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
  it("runs every arm and the baselines, scores each above chance, writes table, plot, config and results, and ends stdout with the JSON summary", { timeout: 240_000 }, async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "fewlabel-experiment-"));
    try {
      const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", cli, "--dataset", "fashion-mnist", "--budget", "tiny", "--seed", "3", "--out", out], {
        env: { ...process.env, FEWLABEL_TF_BACKEND: "wasm" },
        maxBuffer: 16 << 20,
      });
      const last = stdout.trim().split("\n").at(-1)!;
      type Scored = { name: string; testAccuracy: number; correct: number; total: number; interval: { low: number; high: number } };
      const summary = JSON.parse(last) as {
        budget: string;
        arms: (Scored & { labelFraction: number; seconds: number; bestBaseline: { name: string; testAccuracy: number } | null; beatsBestBaseline: boolean | null })[];
        baselines: { labelFraction: number; labelsUsed: number; seconds: number; scores: (Scored & { seconds: number })[] }[];
      };
      expect(summary.budget).toBe("tiny");
      expect(summary.arms.map((a) => a.name)).toEqual([
        "supervised-100%",
        "supervised-20%",
        "supervised-5%",
        "linear-eval",
        "simclr-teacher-20%",
        "simclr-student-20%",
        "simclr-teacher-5%",
        "simclr-student-5%",
      ]);
      for (const a of summary.arms) {
        expect(a.testAccuracy, a.name).toBeGreaterThan(0.15); // chance is 0.10; a tiny budget only has to learn something
        expect(a.seconds).toBeGreaterThan(0);
        expect([a.correct, a.total]).toEqual([Math.round(a.testAccuracy * 200), 200]);
        expect(a.interval.low).toBeLessThan(a.testAccuracy);
        expect(a.interval.high).toBeGreaterThan(a.testAccuracy);
      }
      // The baselines at 100%, 20% and 5% of the labels, on the arms' own label counts and the same 200 test images.
      expect(summary.baselines.map((b) => b.labelFraction)).toEqual([1, 0.2, 0.05]);
      for (const b of summary.baselines) {
        expect(b.scores.map((s) => s.name)).toEqual(["pixel-1nn", "pixel-5nn", "pixel-linear", "random-encoder-knn"]);
        for (const s of b.scores) {
          expect(s.total).toBe(200);
          // Chance is 0.10. Pixels do well even on 20 labels; this ResNet's random initialisation, pooled, is weak
          // (~0.35 on 400 labels), so it only has to be above chance.
          expect(s.testAccuracy, `${s.name} at ${b.labelFraction}`).toBeGreaterThan(s.name === "random-encoder-knn" ? 0.15 : 0.3);
          expect(s.interval.low).toBeLessThanOrEqual(s.testAccuracy);
          expect(s.interval.high).toBeGreaterThanOrEqual(s.testAccuracy);
          expect(s.seconds).toBeGreaterThanOrEqual(0);
        }
        expect(b.seconds).toBeGreaterThan(0);
      }
      // Pixel 1-NN on 400 Fashion-MNIST labels is near 70% (a kNN on raw pixels is that strong here).
      expect(summary.baselines[0]!.scores[0]!.testAccuracy).toBeGreaterThan(0.6);
      // Each arm is read against the best baseline at its own fraction.
      for (const a of summary.arms) {
        const at = summary.baselines.find((b) => b.labelFraction === a.labelFraction)!;
        const best = Math.max(...at.scores.map((s) => s.testAccuracy));
        expect(a.bestBaseline!.testAccuracy).toBe(best);
        expect(a.beatsBestBaseline).toBe(a.testAccuracy > best);
      }
      expect(stderr).toMatch(/simclr-pretrain: done/);
      expect(stderr).toMatch(/baselines-5%: pixel-1nn \d+\.\d+% \(95% [\d.]+-[\d.]+, \d+\/200\) in [\d.]+ s/);
      for (const f of RESULT_FILES) expect(fs.existsSync(path.join(out, f)), f).toBe(true);
      const results = JSON.parse(fs.readFileSync(path.join(out, "results.json"), "utf8")) as ExperimentResults;
      expect(results.arms.map((a) => a.testAccuracy)).toEqual(summary.arms.map((a) => a.testAccuracy));
      expect(results.baselines!.map((b) => b.scores.map((s) => s.correct))).toEqual(summary.baselines.map((b) => b.scores.map((s) => s.correct)));
      for (const b of results.baselines!) expect(b.labelsUsed).toBe(results.arms.find((a) => a.kind === "supervised" && a.labelFraction === b.labelFraction)!.labelsUsed);
      expect(results.trainImages).toBe(400);
      expect(results.complete).toBe(true);
      expect(fs.existsSync(path.join(out, "checkpoints")), "a finished run keeps no checkpoint").toBe(false);
      expect(results.testImages).toBe(200);
      expect(results.pretrain!.lastLoss).toBeLessThan(results.pretrain!.firstLoss);
      const config = JSON.parse(fs.readFileSync(path.join(out, "config.json"), "utf8"));
      expect(config).toMatchObject({ budget: "tiny", seed: 3, dataset: "fashion-mnist", labelFractions: [0.2, 0.05] });
      expect(config.derivedSeeds.labelSubset).toBe(3);
      const md = fs.readFileSync(path.join(out, "results.md"), "utf8");
      expect(md).toMatch(/\| simclr-student-5% \| 20 \(5%\) \| [\d.]+% \([\d.]+–[\d.]+\) \| (pixel|random)[^|]+ [\d.]+% \| /);
      expect(md).toMatch(/\| 20 \(5%\) \| [^|]*[\d.]+% \(/);
      const svg = fs.readFileSync(path.join(out, "accuracy.svg"), "utf8");
      expect(svg.match(/<circle /g)).toHaveLength(8);
      expect(svg.match(/<title>best baseline at /g)).toHaveLength(3);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
