// What the trainer tells people it does, and when: the reconciler's own decisions in the training page's words, and a
// decision reported once, not on every poll.
import type { TrainerActivity } from "@fewlabel/realtime";
import { describe, expect, it } from "vitest";
import { ActivityReporter, activityIsNews, activityOf, selfTrainingActivity } from "./activity";
import { decideNext, type ModelSummary, type ProjectStateSummary } from "./reconcile";

const cfg = { minImages: 32, minLabels: 10, pretrainGrowth: 0.25, uploadSettleSeconds: 10 };
const model = (version: number, stage: ModelSummary["stage"], o: Partial<ModelSummary> = {}): ModelSummary => ({
  id: `m${version}`,
  version,
  stage,
  imageCount: 100,
  labelledCount: 0,
  parentId: null,
  ...o,
});
const state = (o: { models?: ModelSummary[]; images?: number; labelled?: number; since?: number; paused?: boolean; uploading?: number; lastImageAt?: string } = {}): ProjectStateSummary => ({
  control: { paused: o.paused ?? false, fineTuneRequested: false },
  counts: { images: o.images ?? 100, labelled: o.labelled ?? 0, labelsSinceFineTune: o.since ?? 0, fineTuneThreshold: 50, labelledClasses: 2, uploadsInProgress: o.uploading ?? 0 },
  models: o.models ?? [],
  lastImageAt: o.lastImageAt ?? null,
});
const now = Date.parse("2026-12-06T10:00:00Z");
const say = (s: ProjectStateSummary, c: Parameters<typeof decideNext>[1] = cfg) => activityOf(decideNext(s, c, now));

describe("activityOf, on the reconciler's decisions", () => {
  const tuned = [model(1, "PRETRAIN"), model(2, "FINETUNE", { labelledCount: 12 }), model(3, "DISTIL", { parentId: "m2" })];

  it("tells the waits people act on apart from the others, and words a wait to follow 'Waiting:'", () => {
    expect(say(state({ paused: true }))).toEqual({ kind: "paused", reason: "an owner paused training" });
    expect(say(state({ models: tuned, labelled: 13, since: 1 }))).toEqual({ kind: "upToDate", reason: "nothing is due" });
    expect(say(state({ uploading: 1 }))).toEqual({ kind: "wait", reason: "for the upload in progress to finish" });
    expect(say(state({ lastImageAt: "2026-12-06T09:59:57Z" }))).toEqual({ kind: "wait", reason: "for uploads to settle (new images 3 s ago)" });
    expect(say(state({ models: [model(1, "PRETRAIN")], labelled: 3 }))).toEqual({ kind: "wait", reason: "for labels (3 of 10, in at least 2 classes)" });
  });

  it("words work to follow 'because', and tells a first pretraining from a further one", () => {
    expect(say(state())).toEqual({ kind: "pretrain", reason: "the project has enough images to learn from" });
    expect(say(state({ models: [model(1, "PRETRAIN")], images: 125 }))).toEqual({ kind: "pretrainFurther", reason: "the project has grown since the last pretraining" });
    expect(say(state({ models: tuned, labelled: 13, since: 1 }), { ...cfg, maxPretrainRuns: 3 })).toEqual({
      kind: "pretrainFurther",
      reason: "nothing else is due: the encoder keeps learning from the images",
    });
    expect(say(state({ models: [model(1, "PRETRAIN")], labelled: 12, since: 12 }))).toEqual({ kind: "finetune", reason: "there are enough labels for a first fine-tune" });
    expect(say(state({ models: tuned, labelled: 62, since: 50 }))).toEqual({ kind: "finetune", reason: "50 new labels came in since the last fine-tune" });
    expect(say(state({ models: tuned.slice(0, 2), labelled: 12 }))).toEqual({ kind: "stage3", reason: "the serving teacher has no student yet" });
    expect(activityOf({ kind: "quickSuggestions", encoderVersionId: "m1", reason: "embeddings of the encoder v4" })).toEqual({
      kind: "quickSuggestions",
      reason: "the encoder v4 is new: its embeddings are computed once",
    });
  });
});

describe("activityIsNews", () => {
  const waitLabels = (n: number): TrainerActivity => ({ kind: "wait", reason: `for labels (${n} of 10, in at least 2 classes)` });
  const last = { leaseId: "L", activity: waitLabels(3), at: now };

  it("is news the first time, under a new lease, for another kind or another wording", () => {
    expect(activityIsNews(undefined, "L", waitLabels(3), now)).toBe(true);
    expect(activityIsNews(last, "L2", waitLabels(3), now)).toBe(true);
    expect(activityIsNews(last, "L", { kind: "upToDate", reason: "nothing is due" }, now + 1)).toBe(true);
    expect(activityIsNews(last, "L", { kind: "wait", reason: "for the upload in progress to finish" }, now + 1)).toBe(true);
  });

  it("is not news when repeated, and a moving count is news only after the refresh interval", () => {
    expect(activityIsNews(last, "L", waitLabels(3), now + 60_000)).toBe(false);
    expect(activityIsNews(last, "L", waitLabels(4), now + 5_000)).toBe(false);
    expect(activityIsNews(last, "L", waitLabels(4), now + 30_000)).toBe(true);
  });
});

describe("ActivityReporter", () => {
  function sink(fail = () => false) {
    const sent: { projectId: string; leaseId: string; activity: TrainerActivity }[] = [];
    return {
      sent,
      api: {
        reportActivity: {
          mutate: async (input: (typeof sent)[number]) => {
            if (fail()) throw new Error("server restarting");
            sent.push(input);
            return { ok: true };
          },
        },
      },
    };
  }
  const upToDate = { kind: "wait", reason: "up to date" } as const;
  const pretrainFurther = { kind: "pretrain", run: 2, extend: true, reason: "nothing else is due: the encoder keeps learning from the images" } as const;

  it("reports a decision once over many polls, and again when it changes or the lease does", async () => {
    const { api, sent } = sink();
    const reporter = new ActivityReporter(api);
    for (let i = 0; i < 5; i++) await reporter.report("p", "L", upToDate, now + i * 5_000);
    expect(sent).toEqual([{ projectId: "p", leaseId: "L", activity: { kind: "upToDate", reason: "nothing is due" } }]);
    await reporter.report("p", "L", pretrainFurther, now + 30_000);
    await reporter.report("p", "L", pretrainFurther, now + 35_000);
    await reporter.report("p", "L", upToDate, now + 40_000);
    expect(sent.map((s) => s.activity.kind)).toEqual(["upToDate", "pretrainFurther", "upToDate"]);
    // Another project is its own story; a new lease (a restarted trainer) says it again.
    await reporter.report("q", "M", upToDate, now + 41_000);
    await reporter.report("p", "L2", upToDate, now + 42_000);
    expect(sent.map((s) => `${s.projectId}/${s.leaseId}/${s.activity.kind}`)).toEqual(["p/L/upToDate", "p/L/pretrainFurther", "p/L/upToDate", "q/M/upToDate", "p/L2/upToDate"]);
  });

  it("tries a failed report again at the next decision, without throwing", async () => {
    let down = true;
    const { api, sent } = sink(() => down);
    const logged: string[] = [];
    const reporter = new ActivityReporter(api, (m) => logged.push(m));
    expect(await reporter.report("p", "L", upToDate, now)).toBe(false);
    expect(logged[0]).toContain("server restarting");
    down = false;
    expect(await reporter.report("p", "L", upToDate, now + 5_000)).toBe(true);
    expect(await reporter.report("p", "L", upToDate, now + 10_000)).toBe(false);
    expect(sent).toHaveLength(1);
  });

  it("sends a report again at once when no answer came (a stale connection), and says why when it keeps failing", async () => {
    const dropped = () => new TypeError("fetch failed", { cause: Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }) });
    let failures = 1;
    const sent: unknown[] = [];
    const api = {
      reportActivity: {
        mutate: async (input: unknown) => {
          if (failures-- > 0) throw dropped();
          sent.push(input);
          return { ok: true };
        },
      },
    };
    const logged: string[] = [];
    const reporter = new ActivityReporter(api, (m) => logged.push(m));
    expect(await reporter.report("p", "L", upToDate, now)).toBe(true);
    expect([sent.length, logged]).toEqual([1, []]);
    failures = 2;
    expect(await reporter.report("p", "L", pretrainFurther, now + 5_000)).toBe(false);
    expect(logged).toEqual(["could not report what it does (fetch failed: other side closed (UND_ERR_SOCKET))"]);
    // An answer that says no (not a network failure) is not sent again.
    const refusing = sink(() => true);
    let calls = 0;
    const counted = { reportActivity: { mutate: (input: Parameters<typeof refusing.api.reportActivity.mutate>[0]) => (calls++, refusing.api.reportActivity.mutate(input)) } };
    expect(await new ActivityReporter(counted).report("p", "L", upToDate, now)).toBe(false);
    expect(calls).toBe(1);
  });

  it("says stage 3's self-training rounds as they come, a round at most every refresh interval", async () => {
    const { api, sent } = sink();
    const reporter = new ActivityReporter(api);
    await reporter.report("p", "L", { kind: "stage3", teacherVersionId: "t" }, now);
    const round = (n: number, confident: number) => selfTrainingActivity({ round: n, rounds: 10, confident, unlabelled: 2700, threshold: 0.95 });
    expect(round(1, 1496)).toEqual({
      kind: "stage3",
      reason: "the serving teacher has no student yet; self-training, round 1 of 10: the teacher is at least 95% sure of 1,496 of 2,700 unlabelled images",
    });
    await reporter.say("p", "L", round(1, 1496), now + 1_000);
    await reporter.say("p", "L", round(2, 1221), now + 15_000); // the student speaks: other wording
    await reporter.say("p", "L", round(3, 1500), now + 30_000); // same wording 15 s later: not yet
    await reporter.say("p", "L", round(4, 1728), now + 45_000);
    expect(sent.map((s) => s.activity.reason.replace(/^.*round /, "round "))).toEqual([
      "the serving teacher has no student yet",
      "round 1 of 10: the teacher is at least 95% sure of 1,496 of 2,700 unlabelled images",
      "round 2 of 10: the student is at least 95% sure of 1,221 of 2,700 unlabelled images",
      "round 4 of 10: the student is at least 95% sure of 1,728 of 2,700 unlabelled images",
    ]);
  });
});
