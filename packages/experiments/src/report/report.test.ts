import { describe, expect, it } from "vitest";
import { budgetConfig } from "../budgets";
import { resultsMarkdown } from "../write";
import { accuracyPlotSvg, baselinesTable, compareWithBaselines, resultsTable, summaryLine, type ExperimentResults, type FractionBaselines } from "./index";

const arm = (name: string, kind: ExperimentResults["arms"][number]["kind"], labelFraction: number, testAccuracy: number) => ({
  name,
  kind,
  labelFraction,
  labelsUsed: Math.round(60_000 * labelFraction),
  testAccuracy,
  seconds: 12.345,
  epochs: 3.2,
  steps: 100,
  backend: "wasm",
});
const results: ExperimentResults = {
  budget: "quick",
  dataset: "fashion-mnist",
  backend: "wasm",
  backendDetail: "XNNPACK",
  startedAt: "2026-11-28T00:00:00.000Z",
  finishedAt: "2026-11-28T00:10:00.000Z",
  totalSeconds: 600,
  trainImages: 60_000,
  testImages: 10_000,
  classes: ["a", "b"],
  pretrain: { seconds: 200, epochs: 0.43, steps: 200, firstLoss: 5, lastLoss: 4 },
  arms: [
    arm("supervised-100%", "supervised", 1, 0.9),
    arm("supervised-10%", "supervised", 0.1, 0.8),
    arm("supervised-1%", "supervised", 0.01, 0.6),
    arm("linear-eval", "linear-eval", 1, 0.7),
    arm("simclr-teacher-10%", "simclr-teacher", 0.1, 0.82),
    arm("simclr-student-10%", "simclr-student", 0.1, 0.81),
    arm("simclr-teacher-1%", "simclr-teacher", 0.01, 0.7),
    arm("simclr-student-1%", "simclr-student", 0.01, 0.68),
  ],
};
/** Baselines at a fraction, accuracies in the order pixel-1nn, pixel-5nn, pixel-linear, random-encoder-knn. */
const at = (labelFraction: number, accuracies: number[]): FractionBaselines => ({
  task: `baselines-${labelFraction * 100}%`,
  labelFraction,
  labelsUsed: Math.round(60_000 * labelFraction),
  seconds: 3.5,
  backend: "wasm",
  scores: ["pixel-1nn", "pixel-5nn", "pixel-linear", "random-encoder-knn"].map((name, i) => ({
    name,
    testAccuracy: accuracies[i]!,
    correct: Math.round(accuracies[i]! * 10_000),
    total: 10_000,
    interval: { low: accuracies[i]! - 0.01, high: accuracies[i]! + 0.01 },
    seconds: i + 0.5,
  })),
});
// At 1% the pixel 1-NN (0.72) beats the students (0.68) and the teacher ties it (0.70 against 0.70): both flagged.
const withBaselines: ExperimentResults = { ...results, baselines: [at(1, [0.85, 0.855, 0.84, 0.8]), at(0.1, [0.8, 0.805, 0.82, 0.7]), at(0.01, [0.72, 0.7, 0.71, 0.6])] };
withBaselines.arms = results.arms.map((a) => (a.name === "simclr-teacher-1%" ? { ...a, testAccuracy: 0.72 } : a));

describe("results table", () => {
  it("has a header, one row per arm and the shared pretraining, with accuracy and its interval, labels, seconds and epochs", () => {
    const lines = resultsTable(results).trim().split("\n");
    expect(lines[0]).toBe("| arm | labels used | test accuracy (95% interval) | best baseline, same labels | against it | wall time (s) | backend | epochs |");
    expect(lines).toHaveLength(2 + 8 + 1);
    // 8,000 of 10,000: Wilson 79.2-80.8. No baselines in these results: no comparison.
    expect(lines[3]).toBe("| supervised-10% | 6,000 (10%) | 80.0% (79.2–80.8) | - | - | 12.3 | wasm | 3.20 |");
    expect(lines[10]).toMatch(/^\| simclr-pretrain .* \| 0 \| - \| - \| - \| 200 \| wasm \| 0.43 \|$/);
  });

  it("reads every arm against the best baseline at its own fraction, and flags one that does not beat it", () => {
    const lines = resultsTable(withBaselines).trim().split("\n");
    const row = (arm: string) => lines.find((l) => l.startsWith(`| ${arm} |`))!;
    expect(row("supervised-10%")).toContain("| pixel logistic regression 82.0% | **does not beat it (-2.0 points)** |");
    expect(row("simclr-teacher-10%")).toContain("| pixel logistic regression 82.0% | **does not beat it (±0.0 points)** |");
    expect(row("supervised-100%")).toContain("| pixel 5-NN 85.5% | +4.5 points |");
    expect(row("linear-eval")).toContain("| pixel 5-NN 85.5% | **does not beat it (-15.5 points)** |");
    expect(row("simclr-teacher-1%")).toContain("| pixel 1-NN 72.0% | **does not beat it (±0.0 points)** |"); // a tie does not beat it
    expect(row("supervised-1%")).toContain("| pixel 1-NN 72.0% | **does not beat it (-12.0 points)** |");
    const c = compareWithBaselines(withBaselines);
    expect(c.map((x) => x.beats)).toEqual([true, false, false, false, false, false, false, false]);
    expect(c[0]).toMatchObject({ correct: 9_000, total: 10_000 });
    expect(c[0]!.interval.low).toBeCloseTo(0.8941, 3);
    expect(c[0]!.interval.high).toBeCloseTo(0.9056, 3);
  });

  it("lists the baselines per fraction with their intervals, the best in bold, and what each took", () => {
    const lines = baselinesTable(withBaselines).trim().split("\n");
    expect(lines[0]).toBe("| labels | pixel 1-NN | pixel 5-NN | pixel logistic regression | random-encoder kNN | wall time (s) | backend |");
    expect(lines).toHaveLength(2 + 3);
    expect(lines[3]).toBe(
      "| 6,000 (10%) | 80.0% (79.0–81.0) | 80.5% (79.5–81.5) | **82.0% (81.0–83.0)** | 70.0% (69.0–71.0) | 3.5 (pixel 1-NN 0.5, pixel 5-NN 1.5, pixel logistic regression 2.5, random-encoder kNN 3.5) | wasm |",
    );
    expect(baselinesTable(results)).toBe("");
  });
});

describe("accuracy plot", () => {
  it("draws one point per arm on a log axis, series by kind, with escaped text", () => {
    const svg = accuracyPlotSvg({ ...results, dataset: "a<b&c" });
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.trim().endsWith("</svg>")).toBe(true);
    expect(svg.match(/<circle /g)).toHaveLength(8);
    expect(svg.match(/<polyline /g)).toHaveLength(3); // supervised, teacher, student (linear eval is one point)
    expect(svg).not.toContain("best baseline");
    expect(svg).toContain("a&#60;b&#38;c");
    expect(svg).not.toContain("a<b");
    // The 1% point lies left of the 10% point, left of 100%; higher accuracy is drawn higher (smaller y).
    const cx = (name: string) => Number(svg.match(new RegExp(`cx="([\\d.]+)" cy="([\\d.]+)"[^>]*><title>${name}:`))![1]);
    const cy = (name: string) => Number(svg.match(new RegExp(`cx="([\\d.]+)" cy="([\\d.]+)"[^>]*><title>${name}:`))![2]);
    expect(cx("supervised-1%")).toBeLessThan(cx("supervised-10%"));
    expect(cx("supervised-10%")).toBeLessThan(cx("supervised-100%"));
    expect(cy("supervised-100%")).toBeLessThan(cy("supervised-1%"));
    // Balanced tags: every opened element is closed or self-closed.
    const opened = (svg.match(/<(svg|circle|title)[ >]/g) ?? []).length;
    const closed = (svg.match(/<\/(svg|circle|title)>/g) ?? []).length;
    expect(opened).toBe(closed);
  });

  it("draws the best baseline at each fraction as a dashed line of squares and rings the arms that do not beat it", () => {
    const svg = accuracyPlotSvg(withBaselines);
    expect(svg.match(/<circle /g)).toHaveLength(8);
    expect(svg.match(/stroke-dasharray/g)).toHaveLength(1);
    expect(svg.match(/<rect [^>]*><title>best baseline at/g)).toHaveLength(3);
    expect(svg).toContain("<title>best baseline at 1%: pixel 1-NN 72.0%</title>");
    expect(svg).toContain("<title>supervised-1%: 60.0% (does not beat the best baseline, pixel 1-NN 72.0%)</title>");
    expect(svg).toContain("<title>supervised-100%: 90.0%</title>");
    expect(svg.match(/stroke="#9f1239" stroke-width="2.5"/g)).toHaveLength(7);
    const opened = (svg.match(/<(svg|circle|title|rect)[ >]/g) ?? []).length - (svg.match(/<rect [^>]*\/>/g) ?? []).length;
    const closed = (svg.match(/<\/(svg|circle|title|rect)>/g) ?? []).length;
    expect(opened).toBe(closed);
  });
});

describe("summary line", () => {
  it("is one JSON object with the budget, per arm its accuracy, counts, interval and the best baseline at its fraction, and the baselines", () => {
    const line = summaryLine(withBaselines);
    expect(line).not.toContain("\n");
    const parsed = JSON.parse(line);
    expect(Object.keys(parsed)).toEqual(["budget", "arms", "baselines"]);
    expect(parsed.arms[0]).toMatchObject({
      name: "supervised-100%",
      labelFraction: 1,
      testAccuracy: 0.9,
      seconds: 12.345,
      correct: 9_000,
      total: 10_000,
      bestBaseline: { name: "pixel-5nn", testAccuracy: 0.855 },
      beatsBestBaseline: true,
    });
    expect(parsed.arms[0].interval.low).toBeCloseTo(0.8941, 3);
    expect(parsed.arms[1]).toMatchObject({ name: "supervised-10%", beatsBestBaseline: false, bestBaseline: { name: "pixel-linear" } });
    expect(parsed.baselines).toHaveLength(3);
    expect(parsed.baselines[2]).toMatchObject({ labelFraction: 0.01, labelsUsed: 600, seconds: 3.5 });
    expect(parsed.baselines[2].scores[0]).toEqual({ name: "pixel-1nn", testAccuracy: 0.72, correct: 7_200, total: 10_000, interval: { low: 0.71, high: 0.73 }, seconds: 0.5 });
    // Results from before the baselines: no comparison, no baselines.
    const old = JSON.parse(summaryLine(results));
    expect(old.arms[0]).toMatchObject({ bestBaseline: null, beatsBestBaseline: null });
    expect(old.baselines).toEqual([]);
  });
});

describe("results.md", () => {
  it("says which stages ran on worker threads, and adds up the training time of a run resumed across processes", () => {
    const config = budgetConfig("quick", 0);
    const md = resultsMarkdown({ ...results, complete: true }, { ...config, pretrain: { ...config.pretrain, workers: 2 }, distil: { ...config.distil, workers: 2 } });
    expect(md).toContain("worker threads (data-parallel): pretraining 2, supervised 1, fine-tuning 1, distillation 2;");
    // 8 arms of 12.345 s and 200 s of pretraining; not the last process's 600 s.
    expect(md).toContain("training time 299 s (0.1 h: every arm and the shared pretraining)");
    expect(resultsMarkdown({ ...results, complete: true }, config)).not.toContain("worker threads");
    expect(resultsMarkdown({ ...results, complete: true }, config)).toContain("Baselines: not measured (these results predate them).");
  });

  it("has the baselines table, names the arms that do not beat the best baseline, and dates baselines added after the run", () => {
    const config = budgetConfig("quick", 0);
    const later = { ...withBaselines, complete: true, baselines: withBaselines.baselines!.map((b) => ({ ...b, addedLater: { at: "2026-12-06T05:00:00.000Z", note: "computed after the run." } })) };
    const md = resultsMarkdown(later, config);
    expect(md).toContain(baselinesTable(later));
    expect(md).toContain("same 10,000 test images");
    expect(md).toContain("**Not above the best baseline at their fraction:** supervised-10% (80.0% against pixel logistic regression 82.0%), supervised-1% (60.0% against pixel 1-NN 72.0%)");
    expect(md).toContain("Baselines at 100%, 10% and 1% added 2026-12-06T05:00:00.000Z: computed after the run.\n");
    // Baselines computed after the run are not part of its training time; a run's own are.
    expect(md).toContain("training time 299 s");
    expect(resultsMarkdown({ ...withBaselines, complete: true }, config)).toContain("training time 309 s (0.1 h: every arm, the baselines and the shared pretraining)");
  });
});
