// The shapes an experiment reports: its plan (what runs, in order), progress events and results. Pure data, so the
// web UI can import them without TensorFlow.js.

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
  /** False while a run is under way (results written after every arm); a stopped run resumes from them. */
  complete?: boolean;
}

export type ExperimentEvent =
  | { type: "plan"; tasks: PlannedTask[] }
  | { type: "task-start"; task: string }
  | { type: "progress"; task: string; step: number; totalSteps: number; loss: number; imagesPerSecond: number }
  | { type: "arm-result"; task: string; arm: ArmResult }
  | { type: "task-done"; task: string; seconds: number };

/** The one-line summary printed last on stdout by the CLI. */
export function summaryLine(r: Pick<ExperimentResults, "budget" | "arms">): string {
  return JSON.stringify({
    budget: r.budget,
    arms: r.arms.map((a) => ({ name: a.name, labelFraction: a.labelFraction, testAccuracy: a.testAccuracy, seconds: a.seconds })),
  });
}
