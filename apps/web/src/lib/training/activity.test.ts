import { describe, expect, it } from "vitest";
import { describeActivity, isCurrentRun } from "./activity";

const at = new Date("2026-12-06T10:00:00Z");
const counts = { images: 3000, labelled: 300, labelsSinceFineTune: 12, fineTuneThreshold: 30, pendingSuggestions: 0 };

describe("describeActivity", () => {
  it("says that no trainer is connected, whatever the last one said", () => {
    const said = { kind: "pretrainFurther" as const, reason: "x", at };
    expect(describeActivity({ activity: said, counts }, false)).toMatchObject({ tone: "offline", label: "No trainer is connected" });
    expect(describeActivity({ activity: null, counts }, true)).toMatchObject({ tone: "starting" });
  });

  it("says what the trainer does and why", () => {
    expect(describeActivity({ activity: { kind: "pretrainFurther", reason: "nothing else is due: the encoder keeps learning from the images", at }, counts }, true)).toEqual({
      tone: "working",
      label: "Now",
      text: "pretraining further, because nothing else is due: the encoder keeps learning from the images",
      since: at,
    });
    expect(describeActivity({ activity: { kind: "wait", reason: "for the upload in progress to finish", at }, counts }, true)).toMatchObject({
      tone: "waiting",
      label: "Waiting",
      text: "for the upload in progress to finish",
    });
    expect(describeActivity({ activity: { kind: "paused", reason: "an owner paused training", at }, counts }, true)).toMatchObject({ tone: "paused", label: "Paused" });
  });

  it("says how many labels the next fine-tune needs when up to date", () => {
    expect(describeActivity({ activity: { kind: "upToDate", reason: "nothing is due", at }, counts }, true)).toMatchObject({
      tone: "upToDate",
      label: "Up to date",
      text: "nothing to do until 18 more labels (the next fine-tune comes after 30 new labels)",
    });
    expect(describeActivity({ activity: { kind: "upToDate", reason: "nothing is due", at }, counts: { ...counts, labelsSinceFineTune: 29 } }, true).text).toMatch(
      /^nothing to do until 1 more label \(/,
    );
  });
});

describe("isCurrentRun", () => {
  it("is a run that runs or waits to be resumed, not one that finished or failed", () => {
    expect(isCurrentRun({ status: "RUNNING" })).toBe(true);
    expect(isCurrentRun({ status: "PAUSED" })).toBe(true);
    expect(isCurrentRun({ status: "DONE" })).toBe(false);
    expect(isCurrentRun({ status: "FAILED" })).toBe(false);
    expect(isCurrentRun(null)).toBe(false);
  });
});
