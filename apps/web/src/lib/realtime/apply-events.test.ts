import type { LabelChange, ProjectEvent, TrainingProgress } from "@fewlabel/realtime";
import { describe, expect, it } from "vitest";
import { type EmbeddingMapData, type ImagePage, type ImageStats, mapAfter, pageAfter, statsAfter, statusAfterActivity, statusAfterProgress, summarise, type TrainingStatus } from "./apply-events";

const A = "00000000-0000-4000-8000-00000000000a";
const B = "00000000-0000-4000-8000-00000000000b";
const img = (n: number) => `00000000-0000-4000-8000-1000000000${String(n).padStart(2, "0")}`;
const user = "00000000-0000-4000-8000-200000000001";

function change(imageId: string, from: string | null, to: string | null): LabelChange {
  return {
    imageId,
    userId: user,
    classId: to,
    unsure: false,
    previousClassId: from,
    resolvedClassId: to,
    previousResolvedClassId: from,
    votes: 1,
    disagreement: false,
    annotationId: "1",
    undo: false,
  };
}
const labelEvent = (seq: number, data: LabelChange): ProjectEvent => ({ type: "label", seq, projectId: img(99), at: "2025-01-01T00:00:00.000Z", actor: { id: user, name: "Ada" }, data });

const stats: ImageStats = {
  total: 10,
  labelled: 3,
  unlabelled: 7,
  perClass: [
    { classId: A, count: 2 },
    { classId: B, count: 1 },
  ],
  toGo: 7,
  hidden: 0,
};

describe("statsAfter", () => {
  it("moves a newly labelled image out of unlabelled into its class, and off the images to go", () => {
    expect(statsAfter(stats, [change(img(1), null, A)])).toEqual({
      total: 10,
      labelled: 4,
      unlabelled: 6,
      perClass: [
        { classId: A, count: 3 },
        { classId: B, count: 1 },
      ],
      toGo: 6,
      hidden: 0,
    });
  });
  it("moves a relabelled image between classes and drops emptied classes", () => {
    expect(statsAfter(stats, [change(img(1), B, A)])).toEqual({ total: 10, labelled: 3, unlabelled: 7, perClass: [{ classId: A, count: 3 }], toGo: 7, hidden: 0 });
  });
  it("applies a chain of changes on one image in order (label, undo)", () => {
    expect(statsAfter(stats, [change(img(1), null, A), change(img(1), A, null)])).toEqual(stats);
  });
  it("leaves the counts alone when the resolved label did not change (a second vote agreeing)", () => {
    const agree = { ...change(img(1), A, A), previousClassId: null, votes: 2 };
    expect(statsAfter(stats, [agree])).toBe(stats);
  });
});

describe("pageAfter", () => {
  const page: ImagePage = {
    total: 2,
    offset: 0,
    nextCursor: null,
    items: [
      { id: img(1), filename: "a.png", width: 8, height: 8, labelClassId: null, labelSource: null, labelledAt: null },
      { id: img(2), filename: "b.png", width: 8, height: 8, labelClassId: B, labelSource: "HUMAN", labelledAt: new Date(0) },
    ],
  };
  it("relabels the changed images with the last label of the batch and keeps the others as they were", () => {
    const s = summarise([labelEvent(1, change(img(1), null, B)), labelEvent(2, change(img(1), B, A))]);
    const next = pageAfter(page, s.labels);
    expect(next.items[0]).toMatchObject({ labelClassId: A, labelSource: "HUMAN" });
    expect(next.items[1]).toBe(page.items[1]);
  });
  it("returns the same page when nothing on it changed", () => {
    expect(pageAfter(page, summarise([labelEvent(1, change(img(7), null, A))]).labels)).toBe(page);
  });
  it("clears the source of an image whose votes were all withdrawn", () => {
    expect(pageAfter(page, summarise([labelEvent(1, change(img(2), B, null))]).labels).items[1]).toMatchObject({ labelClassId: null, labelSource: null, labelledAt: null });
  });
});

describe("statusAfterProgress", () => {
  const run = "00000000-0000-4000-8000-300000000001";
  const progress = (step: number, extra: Partial<TrainingProgress> = {}): TrainingProgress => ({
    runId: run,
    stage: "pretrain",
    status: "RUNNING",
    step,
    totalSteps: 100,
    startStep: 0,
    loss: 2 - step / 100,
    accuracy: null,
    imagesPerSecond: 40,
    backend: "wasm",
    etaSeconds: 30,
    error: null,
    skippedImages: 0,
    ...extra,
  });
  const base: TrainingStatus = {
    control: { paused: false, fineTuneRequested: false, fineTuneEveryLabels: 50, fineTuneEveryFraction: 0.1 },
    trainerError: null,
    trainer: null,
    activity: null,
    current: { ...progress(10), startedAt: new Date(0), finishedAt: null, history: [{ step: 10, loss: 1.9, accuracy: null, at: "x" }], skipped: [] },
    recent: [{ ...progress(10), startedAt: new Date(0), finishedAt: null }],
    counts: { images: 10, labelled: 0, labelsSinceFineTune: 0, fineTuneThreshold: 50, pendingSuggestions: 0 },
  };
  it("moves the current run on and extends its curve", () => {
    const next = statusAfterProgress(base, progress(20), "2025-01-01T00:00:00.000Z");
    expect(next.current).toMatchObject({ step: 20, loss: 1.8 });
    expect(next.current!.history.map((h) => h.step)).toEqual([10, 20]);
    expect(next.recent[0]).toMatchObject({ step: 20 });
  });
  it("does not add a point without loss or accuracy, nor one for a step already drawn", () => {
    expect(statusAfterProgress(base, progress(20, { loss: null }), "t").current!.history).toHaveLength(1);
    expect(statusAfterProgress(base, progress(10), "t").current!.history).toHaveLength(1);
  });
  it("makes a new run the current one, and marks a finished run", () => {
    const other = "00000000-0000-4000-8000-300000000002";
    const next = statusAfterProgress(base, progress(0, { runId: other, stage: "finetune", loss: null }), "2025-01-01T00:00:00.000Z");
    expect(next.current).toMatchObject({ runId: other, stage: "finetune", history: [] });
    expect(next.recent.map((r) => r.runId)).toEqual([other, run]);
    expect(statusAfterProgress(base, progress(100, { status: "DONE" }), "2025-01-01T00:00:00.000Z").current!.finishedAt).toEqual(new Date("2025-01-01T00:00:00.000Z"));
  });
  it("takes the trainer's latest decision from a batch, and shows it without a refetch", () => {
    const actor = { id: user, name: "gpu box" };
    const activity = (seq: number, kind: "wait" | "upToDate", reason: string): ProjectEvent => ({
      type: "training.activity",
      seq,
      projectId: img(99),
      at: "2025-01-01T00:00:00.000Z",
      actor,
      data: { kind, reason, at: `2025-01-01T00:00:0${seq}.000Z` },
    });
    const s = summarise([activity(1, "wait", "for the upload in progress to finish"), activity(2, "upToDate", "nothing is due")]);
    expect(s.activity).toEqual({ kind: "upToDate", reason: "nothing is due", at: "2025-01-01T00:00:02.000Z" });
    expect(summarise([]).activity).toBeNull();
    const next = statusAfterActivity(base, s.activity!);
    expect(next.activity).toEqual({ kind: "upToDate", reason: "nothing is due", at: new Date("2025-01-01T00:00:02.000Z") });
    expect(next.current).toBe(base.current);
  });
});

describe("mapAfter", () => {
  const map: EmbeddingMapData = {
    modelVersionId: "v",
    version: 1,
    classIds: [A, B],
    ids: [img(1), img(2), img(3)],
    xy: [0, 0, 0.5, 0.5, 1, 1],
    label: [-1, 0, -1],
    suggestion: [1, -1, -1],
    confidence: [0.8, -1, -1],
    missing: 0,
  };
  it("recolours the labelled points and drops the suggestion of an image that is labelled now", () => {
    const next = mapAfter(
      map,
      new Map([
        [img(1), { classId: B, at: new Date() }],
        [img(2), { classId: null, at: new Date() }],
      ]),
    );
    expect(next.label).toEqual([1, -1, -1]);
    expect([next.suggestion[0], next.confidence[0]]).toEqual([-1, -1]);
    expect(next.xy).toBe(map.xy);
    expect(map.label).toEqual([-1, 0, -1]);
  });
  it("is the same object when no point changed", () => {
    expect(
      mapAfter(
        map,
        new Map([
          [img(9), { classId: A, at: new Date() }],
          [img(2), { classId: A, at: new Date() }],
        ]),
      ),
    ).toBe(map);
  });
});
