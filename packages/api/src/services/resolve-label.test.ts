import { describe, expect, it } from "vitest";
import { resolveLabel } from "./resolve-label";

const v = (userId: string, classId: string | null, seq: number, unsure = false) => ({ userId, classId, seq, unsure });

describe("resolveLabel", () => {
  it("is the latest answer with one annotator", () => {
    expect(resolveLabel([v("a", "cat", 1)])).toEqual({ classId: "cat", decidedBy: "a", voteCount: 1, disagreement: false });
    expect(resolveLabel([])).toEqual({ classId: null, decidedBy: null, voteCount: 0, disagreement: false });
  });
  it("takes the majority, and breaks ties by the latest vote", () => {
    expect(resolveLabel([v("a", "cat", 1), v("b", "dog", 2), v("c", "cat", 3)]).classId).toBe("cat");
    const tie = resolveLabel([v("a", "cat", 5), v("b", "dog", 7)]);
    expect(tie).toMatchObject({ classId: "dog", decidedBy: "b", voteCount: 2, disagreement: true });
  });
  it("prefers sure votes and flags unsure ones for review", () => {
    expect(resolveLabel([v("a", "cat", 1), v("b", "dog", 2, true), v("c", "dog", 3, true)])).toMatchObject({ classId: "cat", disagreement: true });
    expect(resolveLabel([v("a", "dog", 2, true)])).toMatchObject({ classId: "dog", disagreement: true });
  });
  it("ignores withdrawn votes", () => {
    expect(resolveLabel([v("a", null, 9), v("b", "dog", 2)])).toMatchObject({ classId: "dog", voteCount: 1, disagreement: false });
  });
});
