// The order an experiment runs in, as named tasks with step counts (what the progress bars show). Supervised
// baselines first (their numbers arrive early), then the contrastive pretraining shared by every SimCLR arm, the
// linear evaluation of the pretrained encoder, then per label fraction the fine-tuned teacher and its student.
import type { ExperimentConfig } from "./config";
import type { PlannedTask } from "./report/types";

export const percent = (f: number): string => `${+(f * 100).toPrecision(3)}%`;

export const taskIds = {
  supervised: (f: number) => `supervised-${percent(f)}`,
  pretrain: "simclr-pretrain",
  linearEval: "linear-eval",
  teacher: (f: number) => `simclr-teacher-${percent(f)}`,
  student: (f: number) => `simclr-student-${percent(f)}`,
};

export function planTasks(c: ExperimentConfig): PlannedTask[] {
  const fractions = [...c.labelFractions].sort((a, b) => b - a);
  return [
    ...[1, ...fractions].map((f) => ({ id: taskIds.supervised(f), label: `Supervised only, ${percent(f)} of labels`, steps: c.supervised.steps })),
    { id: taskIds.pretrain, label: "SimCLR contrastive pretraining (no labels, shared)", steps: c.pretrain.steps },
    { id: taskIds.linearEval, label: "Linear evaluation of the pretrained encoder", steps: c.linearEval.steps },
    ...fractions.flatMap((f) => [
      { id: taskIds.teacher(f), label: `SimCLR teacher, fine-tuned on ${percent(f)} of labels`, steps: c.fineTune.steps },
      { id: taskIds.student(f), label: `SimCLR student, distilled from the ${percent(f)} teacher`, steps: c.distil.steps },
    ]),
  ];
}
