import { describe, expect, it } from "vitest";
import { resolveLabel } from "./resolve-label";

const v = (userId: string, classId: string | null, seq: number, unsure = false) => ({ userId, classId, seq, unsure });
const decided = (userId: string, classId: string | null, seq: number) => ({ ...v(userId, classId, seq), decision: true });

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

  describe("a reviewer's decision", () => {
    it("settles a tie for the decided class", () => {
      expect(resolveLabel([v("a", "cat", 1), v("b", "dog", 2), decided("r", "cat", 3)])).toEqual({ classId: "cat", decidedBy: "r", voteCount: 3, disagreement: false });
    });
    it("wins against a majority and against unsure votes", () => {
      expect(resolveLabel([v("a", "dog", 1), v("b", "dog", 2), v("c", "dog", 3), decided("r", "cat", 4)])).toMatchObject({ classId: "cat", decidedBy: "r", disagreement: false });
      expect(resolveLabel([v("a", "dog", 1, true), decided("r", "cat", 2)])).toMatchObject({ classId: "cat", disagreement: false });
    });
    it("is not overridden by a later vote, which lists the image again only when it names another class", () => {
      const votes = [v("a", "cat", 1), decided("r", "cat", 3)];
      expect(resolveLabel([...votes, v("b", "dog", 7)])).toMatchObject({ classId: "cat", decidedBy: "r", voteCount: 3, disagreement: true });
      expect(resolveLabel([...votes, v("b", "cat", 7)])).toMatchObject({ classId: "cat", disagreement: false });
      // Votes before the decision are what it settled, whatever they said.
      expect(resolveLabel([v("b", "dog", 2), ...votes])).toMatchObject({ classId: "cat", disagreement: false });
    });
    it("goes to the latest decision when reviewers disagree", () => {
      expect(resolveLabel([decided("r", "cat", 3), decided("s", "dog", 5), v("a", "cat", 6)])).toMatchObject({ classId: "dog", decidedBy: "s", disagreement: true });
      expect(resolveLabel([decided("s", "dog", 5), decided("r", "cat", 8), v("a", "cat", 6)])).toMatchObject({ classId: "cat", decidedBy: "r", disagreement: false });
    });
    it("counts only while it names a class: a withdrawn decision leaves the plain rule", () => {
      expect(resolveLabel([v("a", "cat", 1), v("b", "dog", 2), decided("r", null, 3)])).toMatchObject({ classId: "dog", decidedBy: "b", voteCount: 2, disagreement: true });
    });
  });
});
