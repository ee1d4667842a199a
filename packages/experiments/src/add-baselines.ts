// npx tsx packages/experiments/src/add-baselines.ts <results folder>
// Adds the baselines to a finished Fashion-MNIST run that predates them: for every fraction the run has no
// baselines at, the same computation a run makes (./baselines.ts), on the run's exact labelled subsets (its
// config's seed) and test images, written into its results.json as a separately dated addition (`addedLater`),
// and results.md, accuracy.svg and config.json rewritten from them. The arms are not touched.
import fs from "node:fs";
import path from "node:path";
import { selectBackend } from "@fewlabel/ml";
import { fractionBaselines, randomEncoderOf } from "./baselines";
import { derivedSeeds, type ExperimentConfig } from "./config";
import { fashionMnistData } from "./fashionMnist";
import type { ExperimentData } from "./protocol";
import { taskIds } from "./plan";
import type { BaselineScore, ExperimentResults, FractionBaselines } from "./report/types";
import { armLabelSubset } from "./split";
import { writeResults } from "./write";

export interface AddBaselinesOptions {
  backend: { name: string; detail: string };
  /** The run's data (default: Fashion-MNIST as its config says). */
  data?: ExperimentData;
  now?: Date;
  onScore?: (task: string, score: BaselineScore) => void;
}

/** Computes the missing fractions' baselines of the finished run in `dir` and writes them into its results. */
export async function addBaselines(dir: string, o: AddBaselinesOptions): Promise<FractionBaselines[]> {
  const config = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8")) as ExperimentConfig;
  delete (config as { derivedSeeds?: unknown }).derivedSeeds;
  const results = JSON.parse(fs.readFileSync(path.join(dir, "results.json"), "utf8")) as ExperimentResults;
  if (results.complete === false) throw new Error(`${dir}: the run is not finished (--resume computes its baselines)`);
  if (config.dataset !== "fashion-mnist" && !o.data) throw new Error(`${dir}: dataset ${config.dataset}: only Fashion-MNIST runs can be completed here`);
  const data = o.data ?? fashionMnistData(config);
  if (data.train.labels.length !== results.trainImages || data.test.labels.length !== results.testImages) {
    throw new Error(`${dir}: the data has ${data.train.labels.length}/${data.test.labels.length} images, the run had ${results.trainImages}/${results.testImages}`);
  }
  const seeds = derivedSeeds(config.seed);
  const have = new Map((results.baselines ?? []).map((b) => [b.task, b]));
  const at = (o.now ?? new Date()).toISOString();
  const note = `computed after the run by packages/experiments/src/add-baselines.ts on the run's own labelled subset (seed ${config.seed}) and its ${results.testImages.toLocaleString("en-US")} test images, backend ${o.backend.name} (${o.backend.detail}); the arms are the run's own.`;
  const randomEncoder = randomEncoderOf(config);
  const out: FractionBaselines[] = [];
  try {
    for (const f of [1, ...[...config.labelFractions].sort((a, b) => b - a)]) {
      const task = taskIds.baselines(f);
      const existing = have.get(task);
      if (existing) {
        out.push(existing);
        continue;
      }
      const b = await fractionBaselines({
        task,
        labelFraction: f,
        data,
        subset: armLabelSubset(data.train.labels, f, seeds.labelSubset),
        randomEncoder,
        seed: seeds.baselines,
        backend: o.backend.name,
        onScore: (s) => o.onScore?.(task, s),
      });
      out.push({ ...b, addedLater: { at, note } });
    }
  } finally {
    randomEncoder.dispose();
  }
  writeResults(dir, { ...results, baselines: out }, config);
  return out;
}

if (process.argv[1]?.endsWith("add-baselines.ts")) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write("usage: npx tsx packages/experiments/src/add-baselines.ts <results folder>\n");
    process.exit(2);
  }
  const backend = await selectBackend({ log: true });
  const t0 = performance.now();
  const added = await addBaselines(path.resolve(dir), {
    backend,
    onScore: (task, s) => process.stderr.write(`${task}: ${s.name} ${(s.testAccuracy * 100).toFixed(2)}% (${s.correct}/${s.total}) in ${s.seconds.toFixed(1)} s\n`),
  });
  process.stderr.write(`add-baselines: ${dir} in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  process.stdout.write(
    `${JSON.stringify(added.map(({ task, labelsUsed, seconds, scores }) => ({ task, labelsUsed, seconds, scores: scores.map(({ name, testAccuracy, correct, total, seconds: s }) => ({ name, testAccuracy, correct, total, seconds: s })) })))}\n`,
  );
}
