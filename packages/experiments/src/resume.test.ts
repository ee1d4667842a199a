// A stopped run resumes: finished arms and baselines are kept (not trained or computed again) and the shared
// pretraining continues from its last checkpoint, ending with exactly the results of a run that never stopped.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FASHION_MNIST_DIR, fashionMnistAvailable } from "@fewlabel/datasets";
import { selectBackend } from "@fewlabel/ml";
import { budgetConfig } from "./budgets";
import { directoryCheckpoints } from "./checkpoints";
import type { ExperimentConfig } from "./config";
import { fashionMnistData } from "./fashionMnist";
import { runLabelEfficiency, type ExperimentData } from "./protocol";
import type { ExperimentEvent, ExperimentResults } from "./report/types";

const available = fashionMnistAvailable();
if (!available) console.warn(`experiment resume test: SKIPPED, Fashion-MNIST not found in ${FASHION_MNIST_DIR}`);

describe.skipIf(!available)("resuming a stopped experiment", () => {
  const backend = { name: "wasm", detail: "test" };
  let config: ExperimentConfig;
  let data: ExperimentData;
  let dir: string;
  beforeAll(async () => {
    await selectBackend({ order: ["wasm"] });
    const tiny = budgetConfig("tiny", 5);
    config = {
      ...tiny,
      trainImages: 200,
      testImages: 100,
      labelFractions: [0.5],
      pretrain: { ...tiny.pretrain, steps: 12 },
      supervised: { ...tiny.supervised, steps: 8 },
      fineTune: { ...tiny.fineTune, steps: 8 },
      distil: { ...tiny.distil, steps: 8 },
      linearEval: { ...tiny.linearEval, steps: 20 },
    };
    data = fashionMnistData(config);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "fewlabel-resume-"));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A run into `folder` (checkpoints every 4 steps) stopped at `task`'s `step` (a baselines task: its step-th baseline); returns its last partial results. */
  async function stoppedRun(folder: string, task: string, step: number) {
    const controller = new AbortController();
    const checkpoints = directoryCheckpoints(path.join(dir, folder));
    let partial: ExperimentResults | undefined;
    await expect(
      runLabelEfficiency(data, config, {
        backend,
        checkpoints,
        checkpointEvery: 4,
        signal: controller.signal,
        progressEvery: 1,
        onPartialResults: (r) => void (partial = r),
        onEvent: (e) => {
          if ((e.type === "progress" || e.type === "baseline-result") && e.task === task && e.step === step) controller.abort();
        },
      }),
    ).rejects.toThrow(/aborted/);
    return { checkpoints, partial: partial! };
  }

  /** Resumes a stopped run (as the CLI's --resume does, from its partial results); returns its results and the steps each task reported. */
  async function resumedRun(stopped: Awaited<ReturnType<typeof stoppedRun>>) {
    const events: ExperimentEvent[] = [];
    const results = await runLabelEfficiency(data, config, { backend, checkpoints: stopped.checkpoints, resume: stopped.partial, progressEvery: 1, onEvent: (e) => void events.push(e) });
    const progressOf = (task: string) => events.filter((e) => (e.type === "progress" || e.type === "baseline-result") && e.task === task).map((e) => (e as { step: number }).step);
    return { results, progressOf };
  }
  const baselineAccuracies = (r: ExperimentResults) => r.baselines!.map((b) => [b.task, b.labelsUsed, ...b.scores.map((s) => [s.name, s.correct, s.total])]);

  it("keeps finished arms, continues pretraining from its checkpoint, and ends where an uninterrupted run ends", { timeout: 120_000 }, async () => {
    const straight = await runLabelEfficiency(data, config, { backend });

    const stopped = await stoppedRun("run", "simclr-pretrain", 10);
    expect(stopped.partial.complete).toBe(false);
    expect(stopped.partial.arms.map((a) => a.name)).toEqual(["supervised-100%", "supervised-50%"]);

    expect(stopped.partial.baselines!.map((b) => b.task)).toEqual(["baselines-100%", "baselines-50%"]);

    const { results: resumed, progressOf } = await resumedRun(stopped);
    expect(progressOf("supervised-100%")).toEqual([]); // not trained again
    expect(progressOf("baselines-100%")).toEqual([]); // nor the baselines computed again
    expect(resumed.baselines).toEqual(stopped.partial.baselines);
    expect(baselineAccuracies(resumed)).toEqual(baselineAccuracies(straight));
    expect(progressOf("simclr-pretrain")[0]).toBe(9); // from the checkpoint at step 8
    expect(resumed.complete).toBe(true);
    expect(resumed.arms.map((a) => [a.name, a.testAccuracy])).toEqual(straight.arms.map((a) => [a.name, a.testAccuracy]));
    expect(resumed.pretrain!.lastLoss).toBeCloseTo(straight.pretrain!.lastLoss, 4);
  });

  it("keeps the baselines of the fractions a stopped run finished and computes only the rest, as an uninterrupted run does", { timeout: 120_000 }, async () => {
    const straight = await runLabelEfficiency(data, config, { backend });
    // At each fraction, as many labels as its arms (the same stratified subset: 102 of 200 at 50%).
    const labelsOf = (arm: string) => straight.arms.find((a) => a.name === arm)!.labelsUsed;
    expect(straight.baselines!.map((b) => [b.task, b.labelFraction, b.labelsUsed, b.scores.map((s) => s.name)])).toEqual([
      ["baselines-100%", 1, labelsOf("supervised-100%"), ["pixel-1nn", "pixel-5nn", "pixel-linear", "random-encoder-knn"]],
      ["baselines-50%", 0.5, labelsOf("simclr-teacher-50%"), ["pixel-1nn", "pixel-5nn", "pixel-linear", "random-encoder-knn"]],
    ]);
    expect(labelsOf("supervised-100%")).toBe(200);

    const stopped = await stoppedRun("baselines-run", "baselines-50%", 2);
    expect(stopped.partial.arms).toEqual([]);
    expect(stopped.partial.baselines!.map((b) => b.task)).toEqual(["baselines-100%"]);
    // A marker in the kept results: a resumed run that computed them again would lose it.
    stopped.partial.baselines![0]!.scores[0]!.seconds = 1234.5;
    const { results: resumed, progressOf } = await resumedRun(stopped);
    expect(progressOf("baselines-100%")).toEqual([]);
    expect(progressOf("baselines-50%")).toEqual([1, 2, 3, 4]);
    expect(resumed.baselines![0]!.scores[0]!.seconds).toBe(1234.5);
    // Computed in another process state, the same numbers: a function of the config (what --config relies on).
    expect(baselineAccuracies(resumed)).toEqual(baselineAccuracies(straight));
    expect(resumed.arms.map((a) => [a.name, a.testAccuracy])).toEqual(straight.arms.map((a) => [a.name, a.testAccuracy]));
  });

  it("continues a supervised arm stopped midway from the arm's own checkpoint, and drops it once the arm is scored", { timeout: 120_000 }, async () => {
    const straight = await runLabelEfficiency(data, config, { backend });
    const stopped = await stoppedRun("arm-run", "supervised-50%", 6);
    expect(stopped.partial.arms.map((a) => a.name)).toEqual(["supervised-100%"]);
    const armDir = path.join(dir, "arm-run", "checkpoints", "supervised-50%");
    expect(fs.existsSync(path.join(armDir, "checkpoint.json"))).toBe(true);

    const { results: resumed, progressOf } = await resumedRun(stopped);
    expect(progressOf("supervised-50%")[0]).toBe(5); // from the arm's checkpoint at step 4
    expect(fs.existsSync(armDir)).toBe(false);
    const accuracyOf = (r: ExperimentResults) => r.arms.find((a) => a.name === "supervised-50%")!.testAccuracy;
    // Adam re-derives beta^t on restore (equal to float rounding): the arm lands within a test image or two.
    expect(Math.abs(accuracyOf(resumed) - accuracyOf(straight))).toBeLessThanOrEqual(0.02);
  });

  it("continues a student stopped midway from its checkpoint, with its teacher restored rather than trained again", { timeout: 120_000 }, async () => {
    const straight = await runLabelEfficiency(data, config, { backend });
    const stopped = await stoppedRun("student-run", "simclr-student-50%", 6);
    expect(stopped.partial.arms.map((a) => a.name)).toEqual(["supervised-100%", "supervised-50%", "linear-eval", "simclr-teacher-50%"]);
    const armDir = (arm: string) => path.join(dir, "student-run", "checkpoints", arm);
    expect(fs.existsSync(path.join(armDir("simclr-teacher-50%"), "checkpoint.json"))).toBe(true);
    expect(fs.existsSync(path.join(armDir("simclr-student-50%"), "checkpoint.json"))).toBe(true);

    const { results: resumed, progressOf } = await resumedRun(stopped);
    expect(progressOf("simclr-teacher-50%")).toEqual([]); // restored from its checkpoint, not trained again
    expect(progressOf("simclr-student-50%")[0]).toBe(5); // from the student's checkpoint at step 4
    expect(resumed.arms.map((a) => a.name)).toEqual(straight.arms.map((a) => a.name));
    const accuracyOf = (r: ExperimentResults, arm: string) => r.arms.find((a) => a.name === arm)!.testAccuracy;
    expect(accuracyOf(resumed, "simclr-teacher-50%")).toBe(accuracyOf(straight, "simclr-teacher-50%"));
    // Adam re-derives beta^t on restore (equal to float rounding): the student lands within a test image or two.
    expect(Math.abs(accuracyOf(resumed, "simclr-student-50%") - accuracyOf(straight, "simclr-student-50%"))).toBeLessThanOrEqual(0.02);
    expect(fs.existsSync(armDir("simclr-teacher-50%"))).toBe(false);
    expect(fs.existsSync(armDir("simclr-student-50%"))).toBe(false);
  });

  it("runs pretraining, the supervised arms, fine-tuning and distillation on 2 worker threads when the config asks", { timeout: 120_000 }, async () => {
    const two = {
      ...config,
      pretrain: { ...config.pretrain, workers: 2 },
      supervised: { ...config.supervised, workers: 2 },
      fineTune: { ...config.fineTune, workers: 2 },
      distil: { ...config.distil, workers: 2 },
    };
    const r = await runLabelEfficiency(data, two, { backend });
    const single = await runLabelEfficiency(data, config, { backend });
    expect(r.complete).toBe(true);
    expect(r.arms.map((a) => a.name)).toEqual(single.arms.map((a) => a.name));
    for (const a of r.arms) expect(a.testAccuracy).toBeGreaterThanOrEqual(0); // scored (this 8-step budget is near chance either way)
    // Per-shard batch norm: the workers' pretraining follows another path than one thread's.
    expect(r.pretrain!.lastLoss).not.toBe(single.pretrain!.lastLoss);
    expect(Number.isFinite(r.pretrain!.lastLoss)).toBe(true);
  });
});
