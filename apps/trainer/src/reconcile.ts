// The reconciler's decision: given what the server says about a project, what should the trainer do next? A pure
// function of the state, so a restarted trainer (or another machine) picks up exactly where the project stands:
//   0. nothing while an upload is still arriving (training on half an upload makes results depend on timing);
//   1. stage 1, contrastive pretraining, once the project has enough images, and again (extending the encoder) when
//      uploads have grown by the configured fraction;
//   2. stage 2, fine-tuning, once there are enough labels, and again when the labelled set grew by the project's
//      threshold (default 50 labels or 10%), when an owner asks, or when the encoder was pretrained further and is not
//      clearly worse on the held-out labels;
//   3. stage 3 for the serving teacher (the best on held-out labels, not the newest) when it has no student yet:
//      pseudo-label the unlabelled images, then distil the student;
//   4. when nothing else is due, pretrain further (up to the configured budget): the encoder keeps learning from the
//      images while people label, and stages 2 and 3 follow when it improved.
// Before 1-4: quick suggestions (quick-refresh-rule.ts), seconds of work, when labels changed or a newer encoder was
// published, at most every few seconds, so the heavy stages still run in between.
import type { TrainerConfig } from "./config";
import { type QuickRefreshMemory, quickRefreshDue } from "./quick-refresh-rule";

export interface ModelSummary {
  id: string;
  version: number;
  stage: "PRETRAIN" | "FINETUNE" | "DISTIL";
  imageCount: number;
  labelledCount: number;
  parentId: string | null;
  /** Held-out accuracy (kNN for a pretrained encoder); null when too few labels were held out to measure it. */
  accuracy?: number | null;
}

export interface ProjectStateSummary {
  control: { paused: boolean; fineTuneRequested: boolean };
  counts: { images: number; labelled: number; labelsSinceFineTune: number; fineTuneThreshold: number; labelledClasses: number; uploadsInProgress?: number; labelChanges?: number };
  models: ModelSummary[];
  /** The versions the server's serving rule picks (best held-out accuracy, ties to the newer). */
  serving?: { teacherId: string | null; studentId: string | null };
  /** ISO time of the newest image. */
  lastImageAt?: string | null;
}

export type Action =
  | { kind: "wait"; reason: string }
  | { kind: "pretrain"; run: number; extend: boolean; reason?: string }
  | { kind: "finetune"; run: number; reason: string }
  | { kind: "stage3"; teacherVersionId: string }
  | { kind: "quickSuggestions"; encoderVersionId: string; reason: string };

const latest = (models: ModelSummary[], stage: ModelSummary["stage"]) => [...models].reverse().find((m) => m.stage === stage);

export type ReconcileConfig = Pick<TrainerConfig, "minImages" | "minLabels" | "pretrainGrowth"> &
  Partial<Pick<TrainerConfig, "uploadSettleSeconds">> & {
    /** Pretraining runs (the first and its extensions) after which an idle project is left alone; 0: never extend when idle. */
    maxPretrainRuns?: number;
  };

const IDLE_PRETRAIN_REASON = "nothing else is due: the encoder keeps learning from the images";

/** Work done only because nothing else was due (pretraining an idle project further): any other work comes first. */
export const isIdleWork = (a: Action): boolean => a.kind === "pretrain" && a.reason === IDLE_PRETRAIN_REASON;

/** Work another project may wait for while this one's long pretraining runs (main.ts gives it a turn). */
export const isDueWork = (a: Action): boolean => a.kind !== "wait" && !isIdleWork(a);

export function decideNext(s: ProjectStateSummary, cfg: ReconcileConfig, now = Date.now(), quick?: QuickRefreshMemory): Action {
  if (s.control.paused) return { kind: "wait", reason: "paused by an owner" };
  if ((s.counts.uploadsInProgress ?? 0) > 0) return { kind: "wait", reason: "waiting for the upload in progress to finish" };
  const quietFor = s.lastImageAt ? (now - Date.parse(s.lastImageAt)) / 1000 : Infinity;
  const settle = cfg.uploadSettleSeconds ?? 0;
  if (quietFor < settle) return { kind: "wait", reason: `waiting for uploads to settle (new images ${Math.max(0, Math.round(quietFor))} s ago)` };
  const quickAction = quickRefreshDue(s, quick, now);
  if (quickAction) return quickAction;
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
    if (pretrained.version > fineTuned.version && encoderImproved(s.models, pretrained, fineTuned)) {
      return { kind: "finetune", run: fineTunes, reason: "the encoder was pretrained further" };
    }
  }
  // Stage 3 for the teacher that serves: a newer teacher that came out worse is not used for suggestions.
  const servingId = s.serving ? s.serving.teacherId : (fineTuned?.id ?? null);
  const teacher = servingId ? s.models.find((m) => m.id === servingId && m.stage === "FINETUNE") : undefined;
  if (teacher && !s.models.some((m) => m.stage === "DISTIL" && m.parentId === teacher.id)) return { kind: "stage3", teacherVersionId: teacher.id };
  if (pretrains.length < (cfg.maxPretrainRuns ?? 0)) {
    return { kind: "pretrain", run: pretrains.length, extend: true, reason: IDLE_PRETRAIN_REASON };
  }
  if (!enoughLabels) return { kind: "wait", reason: `waiting for labels (${s.counts.labelled} of ${cfg.minLabels}, in at least 2 classes)` };
  return { kind: "wait", reason: "up to date" };
}

/**
 * Held-out kNN accuracy an encoder may lose against the one the newest teacher was built on and still be worth a new
 * fine-tune. A project's held-out set is small (50-70 labels for 300: a 95% interval of about +-12 points), while
 * pretraining further improves the encoder by a few points at a time (Fashion-MNIST 3,000 images, 2 x 10 more epochs:
 * kNN 66.5% -> 69.2% -> 71.1% on 2,000 test images, while the product's 70 held-out labels read 71%, 70%, 67%): only a
 * clear drop, beyond that noise, stops the next fine-tune.
 */
export const ENCODER_REGRESSION_MARGIN = 0.1;

/** Whether the newest encoder is worth a new fine-tune: not clearly worse on the held-out labels, or not measurable. */
function encoderImproved(models: ModelSummary[], newest: ModelSummary, fineTuned: ModelSummary): boolean {
  const base = [...models].reverse().find((m) => m.stage === "PRETRAIN" && m.version < fineTuned.version);
  if (newest.accuracy == null || base?.accuracy == null) return true;
  return newest.accuracy >= base.accuracy - ENCODER_REGRESSION_MARGIN;
}
