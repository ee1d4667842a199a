// "The best model serves, not the newest" (issue 12) through the real stack: a trainer token publishes versions with
// given held-out metrics and baselines over HTTP, and members read over tRPC which teacher and student serve, which
// versions lose to their baselines, which are regressions, and what the trainer's summary says about accuracy and
// uploads still arriving.
import type { AppRouter } from "@fewlabel/api";
import { testDatabaseKinds } from "@fewlabel/db/testing";
import { createTRPCClient, httpLink } from "@trpc/client";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { png } from "./fixtures";
import { startTestServer, type TestServer, TestUser } from "./harness";

/** The four baselines, pixel logistic regression the strongest. */
const pixelBaselines = (linear: number) => [
  { name: "pixel-1nn", accuracy: linear - 0.04, interval: { low: linear - 0.16, high: linear + 0.05 } },
  { name: "pixel-5nn", accuracy: linear - 0.06 },
  { name: "pixel-linear", accuracy: linear },
  { name: "random-encoder-knn", accuracy: 0.41 },
];

describe.each(testDatabaseKinds)("serving model versions on %s", (kind) => {
  let t: TestServer;
  let owner: TestUser;
  let projectId: string;
  let classIds: string[];
  let token: string;
  let leaseId: string;
  let trainer: ReturnType<typeof createTRPCClient<AppRouter>>["trainer"];
  const ids: Record<number, string> = {};

  /** Publishes a version as the trainer does: multipart `meta` plus `<kind>/<file>` parts. Answers the HTTP status. */
  async function publish(stage: "PRETRAIN" | "FINETUNE" | "DISTIL", metrics: object | null, extra: { parentId?: string; provenance?: object } = {}) {
    const form = new FormData();
    form.append("meta", JSON.stringify({ stage, classIds, metrics, provenance: extra.provenance ?? {}, imageCount: 6, labelledCount: 4, parentId: extra.parentId ?? null }));
    for (const kind of stage === "DISTIL" ? ["teacher", "student"] : stage === "FINETUNE" ? ["teacher"] : ["encoder"]) {
      form.append("file", new Blob(['{"format":"layers-model"}']), `${kind}/model.json`);
    }
    const res = await fetch(`${t.baseUrl}/api/trainer/projects/${projectId}/models`, {
      method: "POST",
      body: form,
      headers: { authorization: `Bearer ${token}`, "x-fewlabel-lease": leaseId },
    });
    const body = (await res.json()) as { id: string; version: number; error?: string };
    if (res.ok) ids[body.version] = body.id;
    return { status: res.status, ...body };
  }

  const metrics = (accuracy: number, more: object = {}) => ({
    accuracy,
    heldOut: 60,
    perClass: classIds.map((classId) => ({ classId, accuracy, count: 30 })),
    confusion: [
      [24, 6],
      [6, 24],
    ],
    method: "classifier",
    ...more,
  });

  beforeAll(async () => {
    t = await startTestServer(kind);
    owner = await TestUser.signUp(t.baseUrl, "owner@example.com");
    ({ id: projectId } = await owner.trpc.projects.create.mutate({
      name: "Digits",
      classes: [
        { name: "odd", hotkey: "1" },
        { name: "even", hotkey: "2" },
      ],
    }));
    classIds = (await owner.trpc.classes.list.query({ projectId })).map((c) => c.id);
    token = (await owner.trpc.training.createToken.mutate({ projectId, name: "gpu box" })).token;
    trainer = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${t.baseUrl}/api/trpc`, transformer: superjson, headers: { authorization: `Bearer ${token}` } })] }).trainer;
    const lease = await trainer.claimLease.mutate({ projectId, holder: "test trainer" });
    if (!lease.ok) throw new Error("lease not granted");
    leaseId = lease.leaseId;
  });
  afterAll(() => t?.close());

  it("accepts the new metrics, still accepts metrics without them, and refuses malformed ones", async () => {
    expect(await publish("PRETRAIN", metrics(0.55, { method: "knn", interval: { low: 0.42, high: 0.67 }, baselines: pixelBaselines(0.8), trainLabels: 240 }))).toMatchObject({
      status: 200,
      version: 1,
    });
    // A version with too few held-out labels has no metrics; the provenance says how many it had and needed.
    expect(await publish("FINETUNE", null, { provenance: { heldOutCount: 4, minHeldOut: 20 } })).toMatchObject({ status: 200, version: 2 });
    expect(await publish("FINETUNE", metrics(0.5, { interval: { low: 0.6, high: 0.4 } }))).toMatchObject({ status: 400, error: expect.stringMatching(/interval/) });
    expect(await publish("FINETUNE", metrics(0.5, { baselines: [{ name: "pixel-mlp", accuracy: 0.9 }] }))).toMatchObject({ status: 400, error: expect.stringMatching(/baselines/) });
    expect(await publish("FINETUNE", metrics(0.5, { method: "svm" }))).toMatchObject({ status: 400 });

    const [v2, v1] = await owner.trpc.models.list.query({ projectId });
    expect(v1).toMatchObject({
      version: 1,
      serving: null,
      bestBaseline: { name: "pixel-linear", accuracy: 0.8 },
      beatsBaselines: false,
      regression: null,
      metrics: { method: "knn", trainLabels: 240, interval: { low: 0.42, high: 0.67 } },
    });
    // The only teacher serves while no teacher is measured; it reports the shortfall, not 0%.
    expect(v2).toMatchObject({ version: 2, metrics: null, serving: "teacher", heldOutShortfall: { heldOut: 4, minHeldOut: 20 }, bestBaseline: null, beatsBaselines: null });
    expect(await owner.trpc.models.serving.query({ projectId })).toMatchObject({ teacher: { version: 2 }, student: null });
    expect(await owner.trpc.models.latestStudent.query({ projectId })).toBeNull();
  });

  it("serves the best measured teacher and student, not the newest, and flags regressions", async () => {
    const head = {
      chosen: "linear-probe",
      candidates: [
        { name: "linear-probe", accuracy: 0.812 },
        { name: "knn", accuracy: 0.79 },
      ],
    };
    await publish("FINETUNE", metrics(0.812, { interval: { low: 0.74, high: 0.869 }, baselines: pixelBaselines(0.82), trainLabels: 240, head })); // v3
    await publish("DISTIL", metrics(0.85, { baselines: pixelBaselines(0.82), teacherAgreement: 0.9 }), { parentId: ids[3] }); // v4
    // Worse by more than the noise of 60 held-out labels (one standard error of the difference, ~7 points).
    await publish("FINETUNE", metrics(0.65, { baselines: pixelBaselines(0.6) })); // v5: worse than v3
    await publish("DISTIL", metrics(0.7, { baselines: pixelBaselines(0.6) }), { parentId: ids[5] }); // v6: worse than v4
    await publish("FINETUNE", null, { provenance: { heldOutCount: 9, minHeldOut: 20 } }); // v7: not measured

    const byVersion = new Map((await owner.trpc.models.list.query({ projectId })).map((v) => [v.version, v]));
    expect([...byVersion.keys()]).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect([...byVersion.values()].filter((v) => v.serving).map((v) => [v.version, v.serving])).toEqual([
      [4, "student"],
      [3, "teacher"],
    ]);
    // v3 serves but loses to pixel logistic regression on the same labels, and says so.
    expect(byVersion.get(3)).toMatchObject({ beatsBaselines: false, bestBaseline: { name: "pixel-linear", accuracy: 0.82 }, metrics: { head } });
    expect(byVersion.get(4)).toMatchObject({ beatsBaselines: true, regression: null });
    expect(byVersion.get(5)).toMatchObject({ serving: null, beatsBaselines: true, regression: { id: ids[3], version: 3, accuracy: 0.812 } });
    expect(byVersion.get(6)).toMatchObject({ serving: null, regression: { id: ids[4], version: 4, accuracy: 0.85 } });
    // Unmeasured: neither serving nor known to be worse.
    expect(byVersion.get(7)).toMatchObject({ serving: null, regression: null, heldOutShortfall: { heldOut: 9, minHeldOut: 20 } });
    expect(byVersion.get(2)).toMatchObject({ serving: null, regression: null });

    const serving = await owner.trpc.models.serving.query({ projectId });
    expect([serving.teacher?.version, serving.student?.version]).toEqual([3, 4]);
    // The demo's and the default download's student is the serving one, not the newest (v6).
    const student = await owner.trpc.models.latestStudent.query({ projectId });
    expect(student).toMatchObject({ id: ids[4], version: 4, serving: "student", downloads: { student: { zip: `/api/models/${ids[4]}/student.zip` } } });
    expect(await owner.trpc.models.get.query({ projectId, modelVersionId: ids[5]! })).toMatchObject({ regression: { version: 3 } });
  });

  it("gives the trainer each model's accuracy, the serving versions, uploads still arriving and the newest image's time", async () => {
    const summary = await trainer.summary.query({ projectId });
    expect(summary.models.map((m) => [m.version, m.accuracy])).toEqual([
      [1, 0.55],
      [2, null],
      [3, 0.812],
      [4, 0.85],
      [5, 0.65],
      [6, 0.7],
      [7, null],
    ]);
    expect(summary.serving).toEqual({ teacherId: ids[3], studentId: ids[4] });
    expect(summary.counts.uploadsInProgress).toBe(0);
    expect(summary.lastImageAt).toBeNull();

    const { uploadId } = await owner.trpc.uploads.start.mutate({ projectId });
    const sent = await owner.uploadFiles(uploadId, [{ path: "a.png", data: await png(1) }]);
    expect(sent.body).toMatchObject({ type: "done", accepted: 1 });
    const during = await trainer.state.query({ projectId });
    expect(during.counts.uploadsInProgress).toBe(1);
    const image = await t.db.prisma.image.findFirstOrThrow({ where: { projectId } });
    expect(during.lastImageAt).toBe(image.createdAt.toISOString());
    await owner.trpc.uploads.finish.mutate({ projectId, uploadId });
    expect((await trainer.summary.query({ projectId })).counts.uploadsInProgress).toBe(0);

    // An upload abandoned without a finish stops holding training back once it has been quiet for the settle time.
    const { uploadId: abandoned } = await owner.trpc.uploads.start.mutate({ projectId });
    await owner.uploadFiles(abandoned, [{ path: "b.png", data: await png(2) }]);
    expect((await trainer.summary.query({ projectId })).counts.uploadsInProgress).toBe(1);
    const longAgo = new Date(Date.now() - 11 * 60_000);
    await t.db.prisma.upload.update({ where: { id: abandoned }, data: { createdAt: longAgo } });
    // Started long ago but still sending images: still in progress.
    expect((await trainer.summary.query({ projectId })).counts.uploadsInProgress).toBe(1);
    await t.db.prisma.image.updateMany({ where: { uploadId: abandoned }, data: { createdAt: longAgo } });
    expect((await trainer.summary.query({ projectId })).counts.uploadsInProgress).toBe(0);
  });
});
