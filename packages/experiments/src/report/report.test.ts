import { describe, expect, it } from "vitest";
import { budgetConfig } from "../budgets";
import { resultsMarkdown } from "../write";
import { accuracyPlotSvg, resultsTable, summaryLine, type ExperimentResults } from "./index";

const arm = (name: string, kind: ExperimentResults["arms"][number]["kind"], labelFraction: number, testAccuracy: number) => ({
  name, kind, labelFraction, labelsUsed: Math.round(60_000 * labelFraction), testAccuracy, seconds: 12.345, epochs: 3.2, steps: 100, backend: "wasm",
});
const results: ExperimentResults = {
  budget: "quick", dataset: "fashion-mnist", backend: "wasm", backendDetail: "XNNPACK", startedAt: "2026-11-28T00:00:00.000Z", finishedAt: "2026-11-28T00:10:00.000Z",
  totalSeconds: 600, trainImages: 60_000, testImages: 10_000, classes: ["a", "b"],
  pretrain: { seconds: 200, epochs: 0.43, steps: 200, firstLoss: 5, lastLoss: 4 },
  arms: [
    arm("supervised-100%", "supervised", 1, 0.9), arm("supervised-10%", "supervised", 0.1, 0.8), arm("supervised-1%", "supervised", 0.01, 0.6),
    arm("linear-eval", "linear-eval", 1, 0.7), arm("simclr-teacher-10%", "simclr-teacher", 0.1, 0.82), arm("simclr-student-10%", "simclr-student", 0.1, 0.81),
    arm("simclr-teacher-1%", "simclr-teacher", 0.01, 0.7), arm("simclr-student-1%", "simclr-student", 0.01, 0.68),
  ],
};

describe("results table", () => {
  it("has a header, one row per arm and the shared pretraining, with accuracy, labels, seconds and epochs", () => {
    const lines = resultsTable(results).trim().split("\n");
    expect(lines[0]).toBe("| arm | labels used | test accuracy | wall time (s) | backend | epochs |");
    expect(lines).toHaveLength(2 + 8 + 1);
    expect(lines[3]).toBe("| supervised-10% | 6,000 (10%) | 80.0% | 12.3 | wasm | 3.20 |");
    expect(lines[10]).toMatch(/^\| simclr-pretrain .* \| 0 \| - \| 200 \| wasm \| 0.43 \|$/);
  });
});

describe("accuracy plot", () => {
  it("draws one point per arm on a log axis, series by kind, with escaped text", () => {
    const svg = accuracyPlotSvg({ ...results, dataset: "a<b&c" });
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.trim().endsWith("</svg>")).toBe(true);
    expect(svg.match(/<circle /g)).toHaveLength(8);
    expect(svg.match(/<polyline /g)).toHaveLength(3); // supervised, teacher, student (linear eval is one point)
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
});

describe("summary line", () => {
  it("is one JSON object with the budget and, per arm, name, label fraction, accuracy and seconds only", () => {
    const line = summaryLine(results);
    expect(line).not.toContain("\n");
    const parsed = JSON.parse(line);
    expect(Object.keys(parsed)).toEqual(["budget", "arms"]);
    expect(parsed.arms[0]).toEqual({ name: "supervised-100%", labelFraction: 1, testAccuracy: 0.9, seconds: 12.345 });
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
  });
});
