// npm run experiment -- --dataset fashion-mnist --budget quick|full [--seed N] [--workers N] [--out DIR] [--config FILE]
// (--workers: pretraining, supervised arms, fine-tuning and distillation on that many worker threads, e.g. 2 for both cores;
// recorded in config.json)
// Runs the label-efficiency protocol, prints progress on stderr, writes the results folder and prints one JSON
// summary line last on stdout. `--config <results>/config.json` reruns an earlier experiment exactly.
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { selectBackend } from "@fewlabel/ml";
import { BUDGET_NAMES, budgetConfig, type BudgetName } from "./budgets";
import type { ExperimentConfig } from "./config";
import { fashionMnistData } from "./fashionMnist";
import { runLabelEfficiency } from "./protocol";
import { bestBaseline } from "./report/compare";
import { summaryLine, type ExperimentEvent, type ExperimentResults, type PlannedTask } from "./report/types";
import { directoryCheckpoints } from "./checkpoints";
import { defaultResultsDir, writeResults } from "./write";

const usage = `usage: npm run experiment -- --dataset fashion-mnist --budget ${BUDGET_NAMES.join("|")} [--seed N] [--workers N] [--out DIR] [--config FILE] | --resume DIR`;

function fail(message: string): never {
  process.stderr.write(`experiment: ${message}\n${usage}\n`);
  process.exit(2);
}

export function parseCli(argv: string[]): { config: ExperimentConfig; out?: string; resume?: ExperimentResults } {
  const { values } = parseArgs({
    args: argv,
    options: {
      dataset: { type: "string", default: "fashion-mnist" },
      budget: { type: "string" },
      seed: { type: "string" },
      out: { type: "string" },
      config: { type: "string" },
      resume: { type: "string" },
      workers: { type: "string" },
      help: { type: "boolean" },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  if (values.dataset !== "fashion-mnist") fail(`unknown dataset "${values.dataset}" (only fashion-mnist; a project's own images run from its Experiments page)`);
  let config: ExperimentConfig;
  if (values.resume) {
    // A stopped run: its own folder, config and the arms it finished.
    const dir = values.resume;
    if (!fs.existsSync(path.join(dir, "config.json"))) fail(`--resume ${dir}: no config.json there`);
    config = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8")) as ExperimentConfig;
    delete (config as { derivedSeeds?: unknown }).derivedSeeds;
    const partial = path.join(dir, "results.json");
    const resume = fs.existsSync(partial) ? (JSON.parse(fs.readFileSync(partial, "utf8")) as ExperimentResults) : undefined;
    return { config, out: dir, resume };
  }
  if (values.config) {
    config = JSON.parse(fs.readFileSync(values.config, "utf8")) as ExperimentConfig;
    delete (config as { derivedSeeds?: unknown }).derivedSeeds;
  } else {
    const budget = values.budget ?? fail("--budget is required");
    if (!(BUDGET_NAMES as readonly string[]).includes(budget)) fail(`unknown budget "${budget}"`);
    config = budgetConfig(budget as BudgetName);
  }
  if (values.seed !== undefined) {
    const seed = Number(values.seed);
    if (!Number.isInteger(seed) || seed < 0) fail(`--seed ${values.seed}: expected a non-negative integer`);
    config.seed = seed;
  }
  if (values.workers !== undefined) {
    const workers = Number(values.workers);
    if (!Number.isInteger(workers) || workers < 1) fail(`--workers ${values.workers}: expected a positive integer`);
    config.pretrain.workers = config.supervised.workers = config.fineTune.workers = config.distil.workers = workers;
  }
  return { config, out: values.out };
}

/** Progress lines on stderr: one per task start and end, and a line every ~10% of a task. */
function progressPrinter(t0: number) {
  let tasks: PlannedTask[] = [];
  const lastTenth = new Map<string, number>();
  const at = () => `[${((performance.now() - t0) / 1000).toFixed(0).padStart(5)} s]`;
  return (e: ExperimentEvent) => {
    const say = (s: string) => process.stderr.write(`${at()} ${s}\n`);
    if (e.type === "plan") {
      tasks = e.tasks;
      say(`plan: ${tasks.map((t) => `${t.id} (${t.steps} steps)`).join(", ")}`);
    } else if (e.type === "task-start") say(`${e.task}: started (${tasks.findIndex((t) => t.id === e.task) + 1}/${tasks.length})`);
    else if (e.type === "progress") {
      const tenth = Math.floor((10 * e.step) / e.totalSteps);
      if (tenth > (lastTenth.get(e.task) ?? 0)) {
        lastTenth.set(e.task, tenth);
        say(`${e.task}: step ${e.step}/${e.totalSteps}, loss ${e.loss.toFixed(3)}, ${e.imagesPerSecond.toFixed(0)} img/s`);
      }
    } else if (e.type === "arm-result") say(`${e.task}: test accuracy ${(e.arm.testAccuracy * 100).toFixed(2)}% with ${e.arm.labelsUsed} labels`);
    else if (e.type === "baseline-result") {
      const b = e.baseline;
      say(
        `${e.task}: ${b.name} ${(b.testAccuracy * 100).toFixed(2)}% (95% ${(b.interval.low * 100).toFixed(1)}-${(b.interval.high * 100).toFixed(1)}, ${b.correct}/${b.total}) in ${b.seconds.toFixed(1)} s`,
      );
    } else if (e.type === "baselines-result") say(`${e.task}: ${e.baselines.labelsUsed} labels, best ${bestBaseline(e.baselines)?.name ?? "-"}`);
    else if (e.type === "task-done") say(`${e.task}: done in ${e.seconds.toFixed(1)} s`);
  };
}

async function main(): Promise<void> {
  const { config, out, resume } = parseCli(process.argv.slice(2));
  const t0 = performance.now();
  const backend = await selectBackend({ log: true });
  process.stderr.write(`experiment: ${config.dataset}, budget ${config.budget}, seed ${config.seed}, backend ${backend.name} (${backend.detail})\n`);
  const data = fashionMnistData(config);
  const controller = new AbortController();
  process.once("SIGINT", () => {
    process.stderr.write("experiment: interrupted, stopping at the next step (continue later with --resume <results folder>)\n");
    controller.abort();
  });
  const dir = out ? path.resolve(out) : defaultResultsDir(process.cwd(), config.budget, config.seed);
  if (resume)
    process.stderr.write(`experiment: resuming ${dir}: baselines at ${resume.baselines?.length ?? 0} fractions and ${resume.arms.length} arms done${resume.pretrain ? ", pretraining done" : ""}\n`);
  else writeResults(dir, null, config);
  const checkpoints = directoryCheckpoints(dir);
  const results = await runLabelEfficiency(data, config, {
    backend,
    onEvent: progressPrinter(t0),
    signal: controller.signal,
    resume,
    checkpoints,
    onPartialResults: (partial) => void writeResults(dir, partial, config),
  });
  writeResults(dir, results, config);
  // A finished run needs no checkpoint (and its folder stays small enough to commit).
  fs.rmSync(path.dirname(checkpoints.dir), { recursive: true, force: true });
  process.stderr.write(`experiment: results in ${dir} (${results.totalSeconds.toFixed(0)} s)\n`);
  process.stdout.write(`${summaryLine(results)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("experiments/src/cli.ts")) {
  main().catch((err: unknown) => {
    process.stderr.write(`experiment: failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
