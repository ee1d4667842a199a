// Writes a finished experiment to its folder: results.md (table), accuracy.svg (plot), config.json (every
// setting and seed: rerun with `--config`), results.json (everything measured).
import fs from "node:fs";
import path from "node:path";
import { derivedSeeds, type ExperimentConfig } from "./config";
import { accuracyPlotSvg } from "./report/svg";
import { compareWithBaselines } from "./report/compare";
import { baselinesTable, resultsTable } from "./report/table";
import { baselineLabel, type ExperimentResults, type FractionBaselines } from "./report/types";

export const RESULT_FILES = ["results.md", "accuracy.svg", "config.json", "results.json"] as const;

export function defaultResultsDir(root: string, budget: string, seed: number, when = new Date()): string {
  const stamp = when
    .toISOString()
    .replace(/[:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return path.join(root, "results", "experiments", `${stamp}-${budget}-seed${seed}`);
}

export function resultsMarkdown(r: ExperimentResults, config: ExperimentConfig): string {
  const pre = r.pretrain
    ? `Contrastive pretraining: ${r.pretrain.steps} steps (${r.pretrain.epochs.toFixed(2)} epochs), NT-Xent ${r.pretrain.firstLoss.toFixed(3)} -> ${r.pretrain.lastLoss.toFixed(3)}, ${r.pretrain.seconds.toFixed(0)} s.\n`
    : "";
  const workers = { pretraining: config.pretrain.workers, supervised: config.supervised.workers, "fine-tuning": config.fineTune.workers, distillation: config.distil.workers };
  const parallel = Object.values(workers).some((w) => (w ?? 1) > 1)
    ? `worker threads (data-parallel): ${Object.entries(workers)
        .map(([stage, w]) => `${stage} ${w ?? 1}`)
        .join(", ")};`
    : null;
  // A run resumed across processes (sessions) started more than once: the arms', the baselines' and the pretraining's
  // own times add up what it took, where the last process's start and wall time would not.
  const inRun = (r.baselines ?? []).filter((b) => !b.addedLater);
  const trainingSeconds = r.arms.reduce((sum, a) => sum + a.seconds, 0) + inRun.reduce((sum, b) => sum + b.seconds, 0) + (r.pretrain?.seconds ?? 0);
  return [
    `# Label efficiency: ${r.dataset}, budget ${r.budget}, seed ${config.seed}`,
    "",
    `${r.trainImages.toLocaleString("en-US")} training images, ${r.testImages.toLocaleString("en-US")} test images; backend ${r.backend} (${r.backendDetail});`,
    ...(parallel ? [parallel] : []),
    `encoder ResNet widths ${config.encoder.widths.join("/")} blocks ${config.encoder.blocks.join("/")}, student CNN ${config.student.widths.join("/")};`,
    r.complete === false
      ? `(last) started ${r.startedAt}; UNDER WAY or stopped (${r.arms.length} arms so far; --resume continues it).`
      : `(last) started ${r.startedAt}, finished ${r.finishedAt}; training time ${trainingSeconds.toFixed(0)} s (${(trainingSeconds / 3600).toFixed(1)} h: every arm${inRun.length ? ", the baselines" : ""} and the shared pretraining).`,
    "",
    resultsTable(r),
    pre,
    baselinesSection(r),
    "![accuracy against label fraction](accuracy.svg)",
    "",
  ].join("\n");
}

/** The baselines table with what it says about the arms, or why there is none. */
function baselinesSection(r: ExperimentResults): string {
  const all = r.baselines ?? [];
  if (all.length === 0) return "Baselines: not measured (these results predate them).\n";
  const behind = compareWithBaselines(r).filter((c) => c.beats === false);
  const unmatched = compareWithBaselines(r)
    .filter((c) => c.beats === null)
    .map((c) => c.arm.name);
  const later = all.filter((b) => b.addedLater);
  return [
    `Baselines, trained on the same labelled subset as the arms at each fraction and scored on the same ${r.testImages.toLocaleString("en-US")} test images`,
    "(accuracy with its 95% Wilson interval; the best at each fraction in bold; the wall time of each beside the total):",
    "",
    baselinesTable(r),
    behind.length === 0
      ? `Every arm${unmatched.length ? ` with baselines at its fraction` : ""} beats the best baseline at its fraction.`
      : `**Not above the best baseline at their fraction:** ${behind.map((c) => `${c.arm.name} (${(c.arm.testAccuracy * 100).toFixed(1)}% against ${baselineLabel(c.best!.name)} ${(c.best!.testAccuracy * 100).toFixed(1)}%)`).join(", ")}.`,
    ...(unmatched.length ? [`No baselines at the fraction of: ${unmatched.join(", ")}.`] : []),
    ...addedLaterLines(later),
    "",
  ].join("\n");
}

/** "Baselines at 100%, 10% and 1% added <when>: <how>", one line per addition. */
function addedLaterLines(later: FractionBaselines[]): string[] {
  const groups = new Map<string, FractionBaselines[]>();
  for (const b of later) groups.set(`${b.addedLater!.at}\n${b.addedLater!.note}`, [...(groups.get(`${b.addedLater!.at}\n${b.addedLater!.note}`) ?? []), b]);
  return [...groups.values()].map((bs) => {
    const fractions = bs.map((b) => `${+(b.labelFraction * 100).toPrecision(3)}%`);
    const list = fractions.length > 1 ? `${fractions.slice(0, -1).join(", ")} and ${fractions.at(-1)}` : fractions[0]!;
    return `Baselines at ${list} added ${bs[0]!.addedLater!.at}: ${bs[0]!.addedLater!.note}`;
  });
}

/** Writes the folder; `r` null writes config.json alone (at the start, so a stopped run can resume). */
export function writeResults(dir: string, r: ExperimentResults | null, config: ExperimentConfig): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const files: Partial<Record<(typeof RESULT_FILES)[number], string>> = {
    "config.json": `${JSON.stringify({ ...config, derivedSeeds: derivedSeeds(config.seed) }, null, 2)}\n`,
  };
  if (r) {
    files["results.md"] = resultsMarkdown(r, config);
    files["accuracy.svg"] = accuracyPlotSvg(r);
    files["results.json"] = `${JSON.stringify(r, null, 2)}\n`;
  }
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dir, name);
    fs.writeFileSync(`${file}.tmp`, text);
    fs.renameSync(`${file}.tmp`, file);
  }
  return Object.keys(files).map((f) => path.join(dir, f));
}
