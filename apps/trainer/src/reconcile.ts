// The reconciler's decision: given what the server says about a project, what should the trainer do next? A pure
// function of the state, so a restarted trainer (or another machine) picks up exactly where the project stands:
//   1. stage 1, contrastive pretraining, once the project has enough images, and again (extending the encoder) when
//      uploads have grown by the configured fraction;
//   2. stage 2, fine-tuning, once there are enough labels, and again when the labelled set grew by the project's
//      threshold (default 50 labels or 10%), when an owner asks, or when the encoder was pretrained further;
//   3. stage 3 for the newest fine-tuned teacher that has no student yet: pseudo-label the unlabelled images, then
//      distil the student.
import type { TrainerConfig } from "./config";

export interface ModelSummary {
  id: string;
  version: number;
  stage: "PRETRAIN" | "FINETUNE" | "DISTIL";
  imageCount: number;
  labelledCount: number;
  parentId: string | null;
}

export interface ProjectStateSummary {
  control: { paused: boolean; fineTuneRequested: boolean };
  counts: { images: number; labelled: number; labelsSinceFineTune: number; fineTuneThreshold: number; labelledClasses: number };
  models: ModelSummary[];
}

export type Action =
  | { kind: "wait"; reason: string }
  | { kind: "pretrain"; run: number; extend: boolean }
  | { kind: "finetune"; run: number; reason: string }
  | { kind: "stage3"; teacherVersionId: string };

const latest = (models: ModelSummary[], stage: ModelSummary["stage"]) => [...models].reverse().find((m) => m.stage === stage);

export function decideNext(s: ProjectStateSummary, cfg: Pick<TrainerConfig, "minImages" | "minLabels" | "pretrainGrowth">): Action {
  if (s.control.paused) return { kind: "wait", reason: "paused by an owner" };
  if (s.counts.images < cfg.minImages) return { kind: "wait", reason: `waiting for images (${s.counts.images} of ${cfg.minImages})` };
  const pretrains = s.models.filter((m) => m.stage === "PRETRAIN");
  const pretrained = latest(s.models, "PRETRAIN");
  if (!pretrained) return { kind: "pretrain", run: 0, extend: false };
  if (s.counts.images >= Math.ceil(pretrained.imageCount * (1 + cfg.pretrainGrowth)) && s.counts.images > pretrained.imageCount) {
    return { kind: "pretrain", run: pretrains.length, extend: true };
  }
  const fineTuned = latest(s.models, "FINETUNE");
  const fineTunes = s.models.filter((m) => m.stage === "FINETUNE").length;
  const enoughLabels = s.counts.labelled >= cfg.minLabels && s.counts.labelledClasses >= 2;
  if (enoughLabels) {
    if (!fineTuned) return { kind: "finetune", run: fineTunes, reason: "first fine-tune" };
    if (s.control.fineTuneRequested) return { kind: "finetune", run: fineTunes, reason: "an owner asked" };
    if (s.counts.labelsSinceFineTune >= s.counts.fineTuneThreshold) return { kind: "finetune", run: fineTunes, reason: `${s.counts.labelsSinceFineTune} new labels` };
    if (pretrained.version > fineTuned.version) return { kind: "finetune", run: fineTunes, reason: "the encoder was pretrained further" };
  }
  if (fineTuned && !s.models.some((m) => m.stage === "DISTIL" && m.parentId === fineTuned.id)) return { kind: "stage3", teacherVersionId: fineTuned.id };
  if (!enoughLabels) return { kind: "wait", reason: `waiting for labels (${s.counts.labelled} of ${cfg.minLabels}, in at least 2 classes)` };
  return { kind: "wait", reason: "up to date" };
}
