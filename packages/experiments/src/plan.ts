// The order an experiment runs in, as named tasks with step counts (what the progress bars show). The baselines at
// every fraction first (pixel kNN, pixel logistic regression, a random encoder's kNN: seconds to minutes), then the
// supervised arms (their numbers arrive early), the contrastive pretraining shared by every SimCLR arm, the linear
// evaluation of the pretrained encoder, then per label fraction the fine-tuned teacher and its student.
// (No TensorFlow.js here: the web server imports the plan.)
import type { ExperimentConfig } from "./config";
import type { PlannedTask } from "./report/types";

/** Baselines computed at each fraction (@fewlabel/ml's computeBaselines): their task's progress bar's length. */
export const BASELINES_PER_FRACTION = 4;

export const percent = (f: number): string => `${+(f * 100).toPrecision(3)}%`;

export const taskIds = {
  baselines: (f: number) => `baselines-${percent(f)}`,
  supervised: (f: number) => `supervised-${percent(f)}`,
  pretrain: "simclr-pretrain",
  linearEval: "linear-eval",
  teacher: (f: number) => `simclr-teacher-${percent(f)}`,
  student: (f: number) => `simclr-student-${percent(f)}`,
};

export function planTasks(c: ExperimentConfig): PlannedTask[] {
  const fractions = [...c.labelFractions].sort((a, b) => b - a);
  return [
    ...[1, ...fractions].map((f) => ({
      id: taskIds.baselines(f),
      label: `Baselines on ${percent(f)} of labels: pixel kNN (k = 1, 5), pixel logistic regression, random-encoder kNN`,
      steps: BASELINES_PER_FRACTION,
    })),
    ...[1, ...fractions].map((f) => ({ id: taskIds.supervised(f), label: `Supervised only, ${percent(f)} of labels`, steps: c.supervised.steps })),
    { id: taskIds.pretrain, label: "SimCLR contrastive pretraining (no labels, shared)", steps: c.pretrain.steps },
    { id: taskIds.linearEval, label: "Linear evaluation of the pretrained encoder", steps: c.linearEval.steps },
    ...fractions.flatMap((f) => [
      { id: taskIds.teacher(f), label: `SimCLR teacher, fine-tuned on ${percent(f)} of labels`, steps: c.fineTune.steps },
      { id: taskIds.student(f), label: `SimCLR student, distilled from the ${percent(f)} teacher`, steps: c.distil.steps },
    ]),
  ];
}
