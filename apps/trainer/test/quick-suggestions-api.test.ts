// The api's side of quick suggestions (issue 12, item 6), over real HTTP on PGlite and PostgreSQL: a PRETRAIN
// version's suggestions are refreshed in place as labels arrive (same id, new class or confidence, an event only for
// what changed, marked with its source), a rejected one stays rejected, a better teacher's pending suggestions are kept
// when the trainer asks, and the summary's label history length moves with every label, a relabel included.
import { testDatabaseKinds } from "@fewlabel/db/testing";
import type { ProjectEvent, SuggestionSource } from "@fewlabel/realtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { png } from "@fewlabel/web/testing/fixtures";
import { startTestServer, type TestServer, TestUser } from "@fewlabel/web/testing";
import { call, collectEvents, connect, type LiveSocket, waitFor } from "@fewlabel/web/testing/realtime";
import { createTrainerApi, type TrainerApi } from "../src/api-client";

type Added = Extract<ProjectEvent, { type: "pseudoLabels.added" }>;
const source: SuggestionSource = { kind: "quick", features: "encoder", head: "knn", k: 5, trainLabels: 12, cvAccuracy: 0.75, cvLabels: 12, heldOutAccuracy: null };

describe.each(testDatabaseKinds)("quick suggestions through the api on %s", (kind) => {
  let t: TestServer;
  let owner: TestUser;
  let projectId: string;
  let classIds: string[];
  let imageIds: string[];
  let trainer: TrainerApi;
  let leaseId: string;
  let pretrainId: string, teacherId: string;
  let socket: LiveSocket;
  const labelChanges = async () => (await trainer.trpc.summary.query({ projectId })).counts.labelChanges;
  const suggestion = (imageId: string, cls: number, confidence: number) => ({
    imageId,
    classId: classIds[cls]!,
    confidence,
    probabilities: cls === 0 ? [confidence, 1 - confidence] : [1 - confidence, confidence],
  });

  beforeAll(async () => {
    t = await startTestServer(kind);
    owner = await TestUser.signUp(t.baseUrl, "owner@example.com");
    ({ id: projectId } = await owner.trpc.projects.create.mutate({
      name: "Quick api",
      classes: [
        { name: "a", hotkey: "1" },
        { name: "b", hotkey: "2" },
      ],
    }));
    classIds = (await owner.trpc.classes.list.query({ projectId })).map((c) => c.id);
    const { uploadId } = await owner.trpc.uploads.start.mutate({ projectId });
    const files = await Promise.all([1, 2, 3, 4, 5].map(async (i) => ({ path: `img${i}.png`, data: await png(i) })));
    expect((await owner.uploadFiles(uploadId, files)).body).toMatchObject({ type: "done", accepted: 5 });
    imageIds = (await owner.trpc.images.list.query({ projectId })).items.map((i) => i.id);
    trainer = createTrainerApi(t.baseUrl, (await owner.trpc.training.createToken.mutate({ projectId, name: "t" })).token);
    const lease = await trainer.trpc.claimLease.mutate({ projectId, holder: "test" });
    if (!lease.ok) throw new Error("no lease");
    leaseId = lease.leaseId;
    const meta = (stage: string, accuracy: number) => ({
      stage,
      classIds,
      metrics: {
        accuracy,
        heldOut: 2,
        perClass: classIds.map((c) => ({ classId: c, accuracy, count: 1 })),
        confusion: [
          [1, 0],
          [0, 1],
        ],
        method: stage === "PRETRAIN" ? "knn" : "classifier",
      },
      provenance: {},
      imageCount: 5,
      labelledCount: 0,
    });
    pretrainId = (await trainer.publishModel(projectId, leaseId, meta("PRETRAIN", 0.6), [])).id;
    teacherId = (await trainer.publishModel(projectId, leaseId, meta("FINETUNE", 0.9), [])).id;
    socket = await connect(t.baseUrl, owner.cookie);
    await call(socket, "project:join", { projectId });
  });
  afterAll(async () => {
    socket?.close();
    await t?.close();
  });

  it("counts every label change, a relabel that leaves the counts as they were included", async () => {
    const before = await labelChanges();
    expect(await call(socket, "label:set", { projectId, imageId: imageIds[4], classId: classIds[0], clientLabelId: crypto.randomUUID() })).toMatchObject({ ok: true });
    const labelled = (await trainer.trpc.summary.query({ projectId })).counts.labelled;
    expect(await labelChanges()).toBe(before + 1);
    expect(await call(socket, "label:set", { projectId, imageId: imageIds[4], classId: classIds[1], clientLabelId: crypto.randomUUID() })).toMatchObject({ ok: true });
    expect((await trainer.trpc.summary.query({ projectId })).counts.labelled).toBe(labelled);
    expect(await labelChanges()).toBe(before + 2);
  });

  it("refreshes a quick suggestion in place, sends only what changed, and leaves a rejected one rejected", async () => {
    const live = collectEvents(socket);
    const post = (items: ReturnType<typeof suggestion>[], extra: { keepPendingOf?: string[] } = {}) =>
      trainer.trpc.postPseudoLabels.mutate({ projectId, leaseId, modelVersionId: pretrainId, items, refresh: true, source, ...extra });
    // Image 4 is labelled: skipped.
    expect(await post([suggestion(imageIds[0]!, 0, 0.7), suggestion(imageIds[1]!, 0, 0.6), suggestion(imageIds[4]!, 0, 0.9)])).toEqual({ stored: 2, skipped: 1 });
    const first = (await owner.trpc.pseudoLabels.list.query({ projectId })).items;
    expect(first.map((s) => [s.imageId, s.confidence, s.modelVersion.stage])).toEqual([
      [imageIds[0], 0.7, "PRETRAIN"],
      [imageIds[1], 0.6, "PRETRAIN"],
    ]);
    await waitFor(() => live.some((e) => e.type === "pseudoLabels.added"));
    expect((live.find((e) => e.type === "pseudoLabels.added") as Added).data.source).toEqual(source);

    // The same again: nothing changed, nothing stored, no event. Then image 0 changes class: updated, same id.
    const mark = live.length;
    expect(await post([suggestion(imageIds[0]!, 0, 0.7), suggestion(imageIds[1]!, 0, 0.6)])).toEqual({ stored: 0, skipped: 2 });
    expect(await post([suggestion(imageIds[0]!, 1, 0.8), suggestion(imageIds[1]!, 0, 0.6)])).toEqual({ stored: 1, skipped: 1 });
    await waitFor(() => live.length > mark);
    const changed = live.slice(mark).filter((e): e is Added => e.type === "pseudoLabels.added");
    expect(changed.flatMap((e) => e.data.items)).toEqual([{ id: first[0]!.id, imageId: imageIds[0], classId: classIds[1], confidence: 0.8, modelVersionId: pretrainId }]);
    const byId = new Map((await owner.trpc.pseudoLabels.list.query({ projectId })).items.map((s) => [s.id, s]));
    expect(byId.get(first[0]!.id)).toMatchObject({ classId: classIds[1], confidence: 0.8, probabilities: [0.2, 0.8] });
    // Without `refresh` (how a teacher posts) an existing suggestion of the version is left as it is.
    expect(await trainer.trpc.postPseudoLabels.mutate({ projectId, leaseId, modelVersionId: pretrainId, items: [suggestion(imageIds[1]!, 1, 0.9)] })).toEqual({ stored: 0, skipped: 1 });

    // Rejected: a refresh does not bring it back.
    await owner.trpc.pseudoLabels.reject.mutate({ projectId, pseudoLabelId: first[1]!.id });
    expect(await post([suggestion(imageIds[1]!, 1, 0.95)])).toEqual({ stored: 0, skipped: 1 });
    expect((await owner.trpc.pseudoLabels.list.query({ projectId })).items.map((s) => s.imageId)).toEqual([imageIds[0]]);
  });

  it("keeps a better teacher's pending suggestions when asked, and replaces them when not", async () => {
    expect(await trainer.trpc.postPseudoLabels.mutate({ projectId, leaseId, modelVersionId: teacherId, items: [suggestion(imageIds[2]!, 0, 0.9), suggestion(imageIds[3]!, 0, 0.9)] })).toEqual({
      stored: 2,
      skipped: 0,
    });
    const quick = (imageId: string, keepPendingOf: string[]) =>
      trainer.trpc.postPseudoLabels.mutate({ projectId, leaseId, modelVersionId: pretrainId, items: [suggestion(imageId, 1, 0.7)], refresh: true, keepPendingOf, source });
    expect(await quick(imageIds[2]!, [teacherId])).toEqual({ stored: 0, skipped: 1 });
    expect(await quick(imageIds[3]!, [])).toEqual({ stored: 1, skipped: 0 });
    const pending = new Map((await owner.trpc.pseudoLabels.list.query({ projectId })).items.map((s) => [s.imageId, s.modelVersionId]));
    expect(pending.get(imageIds[2]!)).toBe(teacherId);
    expect(pending.get(imageIds[3]!)).toBe(pretrainId);
    // One pending suggestion per image, whoever made it.
    expect((await owner.trpc.pseudoLabels.list.query({ projectId })).total).toBe(3);
  });
});
