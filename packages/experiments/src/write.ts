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
  return [
    `# Label efficiency: ${r.dataset}, budget ${r.budget}, seed ${config.seed}`,
    "",
    `${r.trainImages.toLocaleString("en-US")} training images, ${r.testImages.toLocaleString("en-US")} test images; backend ${r.backend} (${r.backendDetail});`,
    `encoder ResNet widths ${config.encoder.widths.join("/")} blocks ${config.encoder.blocks.join("/")}, student CNN ${config.student.widths.join("/")};`,
    r.complete === false ? `started ${r.startedAt}; UNDER WAY or stopped (${r.arms.length} arms so far; --resume continues it).` : `started ${r.startedAt}, total ${r.totalSeconds.toFixed(0)} s.`,
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
