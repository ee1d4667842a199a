// The reconciler's decisions, from project states.
import { describe, expect, it } from "vitest";
import { keepTeacherSuggestions, type QuickRefreshMemory } from "./quick-refresh-rule";
import { decideNext, type ModelSummary, type ProjectStateSummary } from "./reconcile";

const cfg = { minImages: 32, minLabels: 10, pretrainGrowth: 0.25 };
const model = (version: number, stage: ModelSummary["stage"], o: Partial<ModelSummary> = {}): ModelSummary => ({
  id: `m${version}`,
  version,
  stage,
  imageCount: 100,
  labelledCount: 0,
  parentId: null,
  ...o,
});
const state = (
  o: {
    models?: ModelSummary[];
    images?: number;
    labelled?: number;
    since?: number;
    threshold?: number;
    paused?: boolean;
    requested?: boolean;
    classes?: number;
    uploading?: number;
    lastImageAt?: string;
    servingTeacher?: string | null;
  } = {},
): ProjectStateSummary => ({
  control: { paused: o.paused ?? false, fineTuneRequested: o.requested ?? false },
  counts: {
    images: o.images ?? 100,
    labelled: o.labelled ?? 0,
    labelsSinceFineTune: o.since ?? 0,
    fineTuneThreshold: o.threshold ?? 50,
    labelledClasses: o.classes ?? 2,
    uploadsInProgress: o.uploading ?? 0,
  },
  models: o.models ?? [],
  lastImageAt: o.lastImageAt ?? null,
  ...(o.servingTeacher !== undefined ? { serving: { teacherId: o.servingTeacher, studentId: null } } : {}),
});

describe("decideNext", () => {
  it("waits while paused or with too few images", () => {
    expect(decideNext(state({ paused: true }), cfg)).toMatchObject({ kind: "wait", reason: "paused by an owner" });
    expect(decideNext(state({ images: 10 }), cfg)).toMatchObject({ kind: "wait" });
  });

  it("pretrains first, and extends pretraining when uploads grew by the configured fraction", () => {
    expect(decideNext(state(), cfg)).toEqual({ kind: "pretrain", run: 0, extend: false });
    const pre = [model(1, "PRETRAIN")];
    expect(decideNext(state({ models: pre, images: 124 }), cfg)).toMatchObject({ kind: "wait" });
    expect(decideNext(state({ models: pre, images: 125 }), cfg)).toEqual({ kind: "pretrain", run: 1, extend: true });
  });

  it("fine-tunes with enough labels in two classes, when labels grew, when asked, or on a newer encoder", () => {
    const pre = [model(1, "PRETRAIN")];
    expect(decideNext(state({ models: pre, labelled: 9, since: 9 }), cfg)).toMatchObject({ kind: "wait", reason: expect.stringContaining("labels") });
    expect(decideNext(state({ models: pre, labelled: 12, since: 12, classes: 1 }), cfg)).toMatchObject({ kind: "wait" });
    expect(decideNext(state({ models: pre, labelled: 12, since: 12 }), cfg)).toMatchObject({ kind: "finetune", run: 0, reason: "first fine-tune" });
    const tuned = [...pre, model(2, "FINETUNE", { labelledCount: 12 }), model(3, "DISTIL", { parentId: "m2" })];
    expect(decideNext(state({ models: tuned, labelled: 14, since: 2, threshold: 2 }), cfg)).toMatchObject({ kind: "finetune", run: 1 });
    expect(decideNext(state({ models: tuned, labelled: 13, since: 1, threshold: 2 }), cfg)).toEqual({ kind: "wait", reason: "up to date" });
    expect(decideNext(state({ models: tuned, labelled: 13, since: 1, threshold: 2, requested: true }), cfg)).toMatchObject({ kind: "finetune", reason: "an owner asked" });
    const newer = [...tuned, model(4, "PRETRAIN", { imageCount: 100 })];
    expect(decideNext(state({ models: newer, labelled: 13, since: 1, threshold: 2 }), cfg)).toMatchObject({ kind: "finetune", reason: "the encoder was pretrained further" });
  });

  it("runs stage 3 for the newest teacher without a student", () => {
    const models = [model(1, "PRETRAIN"), model(2, "FINETUNE", { labelledCount: 12 })];
    expect(decideNext(state({ models, labelled: 12, since: 0 }), cfg)).toEqual({ kind: "stage3", teacherVersionId: "m2" });
  });

  it("waits for an upload in progress, and for new images to settle", () => {
    const now = Date.parse("2026-12-06T10:00:00Z");
    const settle = { ...cfg, uploadSettleSeconds: 10 };
    expect(decideNext(state({ uploading: 1 }), settle, now)).toMatchObject({ kind: "wait", reason: expect.stringContaining("upload in progress") });
    expect(decideNext(state({ lastImageAt: "2026-12-06T09:59:55Z" }), settle, now)).toMatchObject({ kind: "wait", reason: expect.stringContaining("settle") });
    expect(decideNext(state({ lastImageAt: "2026-12-06T09:59:45Z" }), settle, now)).toEqual({ kind: "pretrain", run: 0, extend: false });
  });

  it("runs stage 3 for the serving teacher, not for a newer one that came out worse", () => {
    const models = [
      model(1, "PRETRAIN"),
      model(2, "FINETUNE", { labelledCount: 12, accuracy: 0.8 }),
      model(3, "DISTIL", { parentId: "m2" }),
      model(4, "FINETUNE", { labelledCount: 70, accuracy: 0.7 }),
    ];
    expect(decideNext(state({ models, labelled: 70, since: 0, servingTeacher: "m2" }), cfg)).toEqual({ kind: "wait", reason: "up to date" });
    expect(decideNext(state({ models, labelled: 70, since: 0, servingTeacher: "m4" }), cfg)).toEqual({ kind: "stage3", teacherVersionId: "m4" });
  });

  it("keeps pretraining when nothing else is due, up to the budget, and fine-tunes again unless the encoder is clearly worse", () => {
    const idle = { ...cfg, maxPretrainRuns: 3 };
    const base = [model(1, "PRETRAIN", { accuracy: 0.6 }), model(2, "FINETUNE", { labelledCount: 12, accuracy: 0.8 }), model(3, "DISTIL", { parentId: "m2" })];
    expect(decideNext(state({ models: base, labelled: 12, since: 0 }), idle)).toMatchObject({ kind: "pretrain", run: 1, extend: true });
    // Without labels too: the encoder learns from the images meanwhile.
    expect(decideNext(state({ models: [model(1, "PRETRAIN")] }), idle)).toMatchObject({ kind: "pretrain", run: 1, extend: true });
    const better = [...base, model(4, "PRETRAIN", { accuracy: 0.65 })];
    expect(decideNext(state({ models: better, labelled: 12, since: 0 }), idle)).toMatchObject({ kind: "finetune", reason: "the encoder was pretrained further" });
    // Within the noise of a small held-out set: still worth a fine-tune.
    const noisy = [...base, model(4, "PRETRAIN", { accuracy: 0.55 })];
    expect(decideNext(state({ models: noisy, labelled: 12, since: 0 }), idle)).toMatchObject({ kind: "finetune", reason: "the encoder was pretrained further" });
    const worse = [...base, model(4, "PRETRAIN", { accuracy: 0.45 })];
    expect(decideNext(state({ models: worse, labelled: 12, since: 0 }), idle)).toMatchObject({ kind: "pretrain", run: 2, extend: true });
    const spent = [...worse, model(5, "PRETRAIN", { accuracy: 0.4 })];
    expect(decideNext(state({ models: spent, labelled: 12, since: 0 }), idle)).toEqual({ kind: "wait", reason: "up to date" });
  });
});

describe("quick suggestions (quick-refresh-rule.ts)", () => {
  const now = Date.parse("2026-12-06T10:00:00Z");
  const memory = (last: QuickRefreshMemory["last"], minIntervalSeconds = 3): QuickRefreshMemory => ({ minIntervalSeconds, last });
  const withChanges = (s: ProjectStateSummary, labelChanges: number): ProjectStateSummary => ({ ...s, counts: { ...s.counts, labelChanges } });
  const pre = [model(1, "PRETRAIN")];

  it("embeds a newly published encoder first, labels or not, and never before there is one", () => {
    expect(decideNext(state(), cfg, now, memory(null))).toEqual({ kind: "pretrain", run: 0, extend: false });
    expect(decideNext(state({ models: pre }), cfg, now, memory(null))).toMatchObject({ kind: "quickSuggestions", encoderVersionId: "m1" });
    const seen = memory({ encoderVersionId: "m1", labelChanges: 0, at: now - 60_000 });
    expect(decideNext(state({ models: pre }), cfg, now, seen)).toMatchObject({ kind: "wait", reason: expect.stringContaining("labels") });
    expect(decideNext(state({ models: [...pre, model(2, "PRETRAIN")] }), cfg, now, seen)).toMatchObject({ kind: "quickSuggestions", encoderVersionId: "m2" });
    // A new encoder does not wait for the interval: its weights are in the slot only until the next run checkpoints.
    const justNow = memory({ encoderVersionId: "m1", labelChanges: 0, at: now - 100 });
    expect(decideNext(state({ models: [...pre, model(2, "PRETRAIN")] }), cfg, now, justNow)).toMatchObject({ kind: "quickSuggestions", encoderVersionId: "m2" });
    // Off, or an older caller without memory: the reconciler is what it was.
    expect(decideNext(state({ models: pre }), cfg, now, memory(null, 0))).toMatchObject({ kind: "wait" });
    expect(decideNext(state({ models: pre }), cfg, now)).toMatchObject({ kind: "wait" });
  });

  it("refreshes before any heavy stage when labels changed, at most every few seconds, and lets the heavy stage run in between", () => {
    const labelled = withChanges(state({ models: pre, labelled: 20, since: 20 }), 20);
    const stale = memory({ encoderVersionId: "m1", labelChanges: 12, at: now - 10_000 });
    expect(decideNext(labelled, cfg, now, stale)).toEqual({ kind: "quickSuggestions", encoderVersionId: "m1", reason: "labels changed" });
    // Refreshed 1 s ago (the interval is 3 s): the fine-tune that is due runs now, the next refresh after it.
    const recent = memory({ encoderVersionId: "m1", labelChanges: 12, at: now - 1000 });
    expect(decideNext(labelled, cfg, now, recent)).toMatchObject({ kind: "finetune", reason: "first fine-tune" });
    // Up to date with the labels: straight to the heavy stage.
    const current = memory({ encoderVersionId: "m1", labelChanges: 20, at: now - 10_000 });
    expect(decideNext(labelled, cfg, now, current)).toMatchObject({ kind: "finetune" });
    // A relabel moves the label history without moving the counts: still a change.
    expect(decideNext(withChanges(state({ models: pre, labelled: 20, since: 20 }), 21), cfg, now, current)).toMatchObject({ kind: "quickSuggestions", reason: "labels changed" });
    // Labels in one class only: nothing a head could tell apart.
    expect(decideNext(withChanges(state({ models: pre, labelled: 5, since: 5, classes: 1 }), 25), cfg, now, current)).toMatchObject({ kind: "wait" });
    // Paused, or an upload still arriving: nothing at all.
    expect(decideNext(withChanges(state({ models: pre, labelled: 20, paused: true }), 25), cfg, now, current)).toMatchObject({ kind: "wait", reason: "paused by an owner" });
    expect(decideNext(withChanges(state({ models: pre, labelled: 20, uploading: 1 }), 25), cfg, now, current)).toMatchObject({ kind: "wait" });
  });

  it("leaves a serving teacher's pending suggestions alone unless the quick head measurably beats it", () => {
    expect(keepTeacherSuggestions(undefined, 0.5)).toBe(false);
    expect(keepTeacherSuggestions({ accuracy: 0.8 }, 0.7)).toBe(true);
    expect(keepTeacherSuggestions({ accuracy: 0.8 }, 0.8)).toBe(true);
    expect(keepTeacherSuggestions({ accuracy: 0.7 }, 0.8)).toBe(false);
    expect(keepTeacherSuggestions({ accuracy: 0.7 }, null)).toBe(true);
    expect(keepTeacherSuggestions({ accuracy: null }, null)).toBe(true);
    expect(keepTeacherSuggestions({ accuracy: null }, 0.6)).toBe(false);
  });
});
