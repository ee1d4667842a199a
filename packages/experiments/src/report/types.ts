// The shapes an experiment reports: its plan (what runs, in order), progress events and results. Pure data, so the
// web UI can import them without TensorFlow.js.
import { compareWithBaselines } from "./compare";

export type ArmKind = "supervised" | "linear-eval" | "simclr-teacher" | "simclr-student";

/** One unit of work with a progress bar: the shared pretraining or one arm. */
export interface PlannedTask {
  id: string;
  label: string;
  /** Training steps of the task (its progress bar's length). */
  steps: number;
}

export interface ArmResult {
  name: string;
  kind: ArmKind;
  /** Fraction of the training labels the arm was trained with. */
  labelFraction: number;
  labelsUsed: number;
  testAccuracy: number;
  /** Wall time of the arm's own training and scoring (the shared pretraining is reported once, separately). */
  seconds: number;
  /** Passes over the images the arm's training stage draws from (steps x batch / images). */
  epochs: number;
  steps: number;
  backend: string;
}

/** The trivial methods every arm stands next to, by their names in results.json, as people read them. */
export const BASELINE_LABELS: Record<string, string> = {
  "pixel-1nn": "pixel 1-NN",
  "pixel-5nn": "pixel 5-NN",
  "pixel-linear": "pixel logistic regression",
  "random-encoder-knn": "random-encoder kNN",
};
export const baselineLabel = (name: string): string => BASELINE_LABELS[name] ?? name;

export interface Interval {
  low: number;
  high: number;
}

/** One baseline's score on the test images (counts and the 95% Wilson interval: how far the accuracy can be trusted). */
export interface BaselineScore {
  /** "pixel-1nn", "pixel-5nn", "pixel-linear" or "random-encoder-knn". */
  name: string;
  testAccuracy: number;
  correct: number;
  total: number;
  interval: Interval;
  /** Wall time of this baseline alone (pixel-1nn's includes the one neighbour search that pixel-5nn reads too). */
  seconds: number;
}

/**
 * The baselines at one label fraction (@fewlabel/ml's computeBaselines): trained on exactly the labelled subset the
 * arms at that fraction use, scored on the same test images.
 */
export interface FractionBaselines {
  /** Its task id ("baselines-10%"): how a resumed run finds it. */
  task: string;
  labelFraction: number;
  labelsUsed: number;
  scores: BaselineScore[];
  /** Wall time of all of them at this fraction. */
  seconds: number;
  backend: string;
  /** Set when they were computed after the run (results that predate baselines): when, and how. */
  addedLater?: { at: string; note: string };
}

export interface ExperimentResults {
  budget: string;
  dataset: string;
  backend: string;
  backendDetail: string;
  startedAt: string;
  finishedAt: string;
  totalSeconds: number;
  trainImages: number;
  testImages: number;
  classes: string[];
  pretrain: { seconds: number; epochs: number; steps: number; firstLoss: number; lastLoss: number } | null;
  arms: ArmResult[];
  /** Per label fraction (100% first); absent in results written before baselines were part of the experiment. */
  baselines?: FractionBaselines[];
  /** False while a run is under way (results written after every arm); a stopped run resumes from them. */
  complete?: boolean;
}

export type ExperimentEvent =
  | { type: "plan"; tasks: PlannedTask[] }
  | { type: "task-start"; task: string }
  | { type: "progress"; task: string; step: number; totalSteps: number; loss: number; imagesPerSecond: number }
  | { type: "arm-result"; task: string; arm: ArmResult }
  | { type: "baseline-result"; task: string; baseline: BaselineScore; step: number; totalSteps: number }
  | { type: "baselines-result"; task: string; baselines: FractionBaselines }
  | { type: "task-done"; task: string; seconds: number };

/** The one-line summary printed last on stdout by the CLI: every arm beside the best baseline at its fraction, and every baseline. */
export function summaryLine(r: Pick<ExperimentResults, "budget" | "arms" | "testImages" | "baselines">): string {
  return JSON.stringify({
    budget: r.budget,
    arms: compareWithBaselines(r).map(({ arm: a, correct, total, interval, best, beats }) => ({
      name: a.name,
      labelFraction: a.labelFraction,
      testAccuracy: a.testAccuracy,
      seconds: a.seconds,
      correct,
      total,
      interval,
      bestBaseline: best && { name: best.name, testAccuracy: best.testAccuracy },
      beatsBestBaseline: beats,
    })),
    baselines: (r.baselines ?? []).map((b) => ({
      labelFraction: b.labelFraction,
      labelsUsed: b.labelsUsed,
      seconds: b.seconds,
      scores: b.scores.map(({ name, testAccuracy, correct, total, interval, seconds }) => ({ name, testAccuracy, correct, total, interval, seconds })),
    })),
  });
}
