// Baselines added to a finished run that predates them are the ones the run itself would have computed: same
// labelled subsets, same test images, same random encoder; dated as an addition, the arms untouched.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FASHION_MNIST_DIR, fashionMnistAvailable } from "@fewlabel/datasets";
import { selectBackend } from "@fewlabel/ml";
import { addBaselines } from "./add-baselines";
import { budgetConfig } from "./budgets";
import type { ExperimentConfig } from "./config";
import { fashionMnistData } from "./fashionMnist";
import { runLabelEfficiency } from "./protocol";
import type { ExperimentResults } from "./report/types";
import { writeResults } from "./write";

const available = fashionMnistAvailable();
if (!available) console.warn(`add-baselines test: SKIPPED, Fashion-MNIST not found in ${FASHION_MNIST_DIR}`);

describe.skipIf(!available)("adding baselines to a finished run that predates them", () => {
  const backend = { name: "wasm", detail: "test" };
  let dir: string;
  beforeAll(async () => {
    await selectBackend({ order: ["wasm"] });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "fewlabel-add-baselines-"));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("computes the run's own baselines at every fraction, dated, and leaves the arms as they were", { timeout: 120_000 }, async () => {
    const tiny = budgetConfig("tiny", 2);
    const steps = <S extends { steps: number }>(s: S): S => ({ ...s, steps: 2 });
    const config: ExperimentConfig = {
      ...tiny,
      trainImages: 150,
      testImages: 100,
      labelFractions: [0.2],
      pretrain: steps(tiny.pretrain),
      supervised: steps(tiny.supervised),
      fineTune: steps(tiny.fineTune),
      distil: steps(tiny.distil),
      linearEval: steps(tiny.linearEval),
    };
    const run = await runLabelEfficiency(fashionMnistData(config), config, { backend });
    // The same run as written before baselines existed.
    const { baselines, ...old } = run;
    writeResults(dir, old, config);
    expect(fs.readFileSync(path.join(dir, "results.md"), "utf8")).toContain("Baselines: not measured");

    const added = await addBaselines(dir, { backend, now: new Date("2026-12-06T05:00:00Z") });
    const written = JSON.parse(fs.readFileSync(path.join(dir, "results.json"), "utf8")) as ExperimentResults;
    const accuracies = (b: typeof baselines) => b!.map((x) => [x.task, x.labelsUsed, ...x.scores.map((s) => [s.name, s.correct, s.total])]);
    expect(accuracies(written.baselines)).toEqual(accuracies(baselines));
    expect(accuracies(added)).toEqual(accuracies(baselines));
    for (const b of written.baselines!) expect(b.addedLater).toMatchObject({ at: "2026-12-06T05:00:00.000Z", note: expect.stringContaining("seed 2") });
    expect(written.arms).toEqual(run.arms);
    expect(written.finishedAt).toBe(run.finishedAt);
    const md = fs.readFileSync(path.join(dir, "results.md"), "utf8");
    expect(md).toContain("| labels | pixel 1-NN |");
    expect(md).toContain("Baselines at 100% and 20% added 2026-12-06T05:00:00.000Z: computed after the run");
    expect(fs.readFileSync(path.join(dir, "accuracy.svg"), "utf8")).toContain("best baseline at 20%");

    // Run again: nothing is missing, nothing is computed or re-dated.
    const again = await addBaselines(dir, { backend, now: new Date("2027-01-01T00:00:00Z") });
    expect(again).toEqual(written.baselines);
  });
});
