import type { LabelChange, ProjectEvent } from "@fewlabel/realtime";
import { describe, expect, it } from "vitest";
import { type ImagePage, type ImageStats, pageAfter, statsAfter, summarise } from "./apply-events";

const A = "00000000-0000-4000-8000-00000000000a";
const B = "00000000-0000-4000-8000-00000000000b";
const img = (n: number) => `00000000-0000-4000-8000-1000000000${String(n).padStart(2, "0")}`;
const user = "00000000-0000-4000-8000-200000000001";

function change(imageId: string, from: string | null, to: string | null): LabelChange {
  return { imageId, userId: user, classId: to, unsure: false, previousClassId: from, resolvedClassId: to, previousResolvedClassId: from, votes: 1, disagreement: false, annotationId: "1", undo: false };
}
const labelEvent = (seq: number, data: LabelChange): ProjectEvent => ({ type: "label", seq, projectId: img(99), at: "2025-01-01T00:00:00.000Z", actor: { id: user, name: "Ada" }, data });

const stats: ImageStats = { total: 10, labelled: 3, unlabelled: 7, perClass: [{ classId: A, count: 2 }, { classId: B, count: 1 }] };

describe("statsAfter", () => {
  it("moves a newly labelled image out of unlabelled into its class", () => {
    expect(statsAfter(stats, [change(img(1), null, A)])).toEqual({ total: 10, labelled: 4, unlabelled: 6, perClass: [{ classId: A, count: 3 }, { classId: B, count: 1 }] });
  });
  it("moves a relabelled image between classes and drops emptied classes", () => {
    expect(statsAfter(stats, [change(img(1), B, A)])).toEqual({ total: 10, labelled: 3, unlabelled: 7, perClass: [{ classId: A, count: 3 }] });
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
