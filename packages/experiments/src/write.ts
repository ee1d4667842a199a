// Writes a finished experiment to its folder: results.md (table), accuracy.svg (plot), config.json (every
// setting and seed: rerun with `--config`), results.json (everything measured).
import fs from "node:fs";
import path from "node:path";
import { derivedSeeds, type ExperimentConfig } from "./config";
import { accuracyPlotSvg } from "./report/svg";
import { resultsTable } from "./report/table";
import type { ExperimentResults } from "./report/types";

export const RESULT_FILES = ["results.md", "accuracy.svg", "config.json", "results.json"] as const;

export function defaultResultsDir(root: string, budget: string, seed: number, when = new Date()): string {
  const stamp = when.toISOString().replace(/[:]/g, "").replace(/\.\d+Z$/, "Z");
  return path.join(root, "results", "experiments", `${stamp}-${budget}-seed${seed}`);
}

export function resultsMarkdown(r: ExperimentResults, config: ExperimentConfig): string {
  const pre = r.pretrain
    ? `Contrastive pretraining: ${r.pretrain.steps} steps (${r.pretrain.epochs.toFixed(2)} epochs), NT-Xent ${r.pretrain.firstLoss.toFixed(3)} -> ${r.pretrain.lastLoss.toFixed(3)}, ${r.pretrain.seconds.toFixed(0)} s.\n`
    : "";
  const workers = { pretraining: config.pretrain.workers, supervised: config.supervised.workers, "fine-tuning": config.fineTune.workers, distillation: config.distil.workers };
  const parallel = Object.values(workers).some((w) => (w ?? 1) > 1)
    ? `worker threads (data-parallel): ${Object.entries(workers).map(([stage, w]) => `${stage} ${w ?? 1}`).join(", ")};`
    : null;
  // A run resumed across processes (sessions) started more than once: the arms' and the pretraining's own times add
  // up what it took, where the last process's start and wall time would not.
  const trainingSeconds = r.arms.reduce((sum, a) => sum + a.seconds, 0) + (r.pretrain?.seconds ?? 0);
  return [
    `# Label efficiency: ${r.dataset}, budget ${r.budget}, seed ${config.seed}`,
    "",
    `${r.trainImages.toLocaleString("en-US")} training images, ${r.testImages.toLocaleString("en-US")} test images; backend ${r.backend} (${r.backendDetail});`,
    ...(parallel ? [parallel] : []),
    `encoder ResNet widths ${config.encoder.widths.join("/")} blocks ${config.encoder.blocks.join("/")}, student CNN ${config.student.widths.join("/")};`,
    r.complete === false
      ? `(last) started ${r.startedAt}; UNDER WAY or stopped (${r.arms.length} arms so far; --resume continues it).`
      : `(last) started ${r.startedAt}, finished ${r.finishedAt}; training time ${trainingSeconds.toFixed(0)} s (${(trainingSeconds / 3600).toFixed(1)} h: every arm and the shared pretraining).`,
    "",
    resultsTable(r),
    pre,
    "![accuracy against label fraction](accuracy.svg)",
    "",
  ].join("\n");
}

/** Writes the folder; `r` null writes config.json alone (at the start, so a stopped run can resume). */
export function writeResults(dir: string, r: ExperimentResults | null, config: ExperimentConfig): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const files: Partial<Record<(typeof RESULT_FILES)[number], string>> = {
    "config.json": JSON.stringify({ ...config, derivedSeeds: derivedSeeds(config.seed) }, null, 2) + "\n",
  };
  if (r) {
    files["results.md"] = resultsMarkdown(r, config);
    files["accuracy.svg"] = accuracyPlotSvg(r);
    files["results.json"] = JSON.stringify(r, null, 2) + "\n";
  }
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dir, name);
    fs.writeFileSync(`${file}.tmp`, text);
    fs.renameSync(`${file}.tmp`, file);
  }
  return Object.keys(files).map((f) => path.join(dir, f));
}
