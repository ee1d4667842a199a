// The trainer's api from the outside, over real HTTP: who may call it (tokens of the project, of another project,
// revoked, none; people by role), the lease, checkpoints, model publishing and downloads, and the review rules for
// pseudo-labels (a model never overwrites a human label; a rejected suggestion does not come back from the same
// model version; accepting goes through the label history and undo).
import fs from "node:fs";
import path from "node:path";
import { trainerLimits, undoLast } from "@fewlabel/api";
import { testDatabaseKinds } from "@fewlabel/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { png } from "@fewlabel/web/testing/fixtures";
import { startTestServer, type TestServer, TestUser, trpcErrorCode } from "@fewlabel/web/testing";
import { collectEvents, collectTransient, connect, call, waitFor } from "@fewlabel/web/testing/realtime";
import { createTrainerApi, type TrainerApi, TrainerHttpError, trpcCode } from "../src/api-client";

async function errorOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (err) {
    if (err instanceof TrainerHttpError) return String(err.status);
    return trpcCode(err) ?? String(err);
  }
}

describe.each(testDatabaseKinds)("trainer api on %s", (kind) => {
  let t: TestServer;
  let owner: TestUser, annotator: TestUser, reviewer: TestUser, outsider: TestUser;
  let projectId: string, otherProjectId: string;
  let classIds: string[];
  let imageIds: string[];
  let trainer: TrainerApi, otherTrainer: TrainerApi, anonymousTrainer: TrainerApi;
  let tokenId: string;
  let token: string;
  let leaseId: string;
  let modelVersionId: string;

  beforeAll(async () => {
    t = await startTestServer(kind);
    owner = await TestUser.signUp(t.baseUrl, "owner@example.com");
    annotator = await TestUser.signUp(t.baseUrl, "annotator@example.com");
    reviewer = await TestUser.signUp(t.baseUrl, "reviewer@example.com");
    outsider = await TestUser.signUp(t.baseUrl, "outsider@example.com");
    ({ id: projectId } = await owner.trpc.projects.create.mutate({
      name: "Shoes",
      classes: [
        { name: "boot", hotkey: "1" },
        { name: "sandal", hotkey: "2" },
      ],
    }));
    ({ id: otherProjectId } = await owner.trpc.projects.create.mutate({ name: "Other", classes: [{ name: "x", hotkey: "1" }] }));
    classIds = (await owner.trpc.classes.list.query({ projectId })).map((c) => c.id);
    const { uploadId } = await owner.trpc.uploads.start.mutate({ projectId });
    const files = await Promise.all([1, 2, 3, 4, 5].map(async (i) => ({ path: `img${i}.png`, data: await png(i) })));
    expect((await owner.uploadFiles(uploadId, files)).body).toMatchObject({ type: "done", accepted: 5 });
    imageIds = (await owner.trpc.images.list.query({ projectId })).items.map((i) => i.id);
    for (const [user, role] of [
      [annotator, "ANNOTATOR"],
      [reviewer, "REVIEWER"],
    ] as const) {
      const invite = await owner.trpc.invites.create.mutate({ projectId, role });
      await user.trpc.invites.accept.mutate({ token: invite.token });
    }
    const created = await owner.trpc.training.createToken.mutate({ projectId, name: "gpu box" });
    tokenId = created.id;
    token = created.token;
    trainer = createTrainerApi(t.baseUrl, created.token);
    otherTrainer = createTrainerApi(t.baseUrl, (await owner.trpc.training.createToken.mutate({ projectId: otherProjectId, name: "other" })).token);
    anonymousTrainer = createTrainerApi(t.baseUrl, "flt_not-a-real-token-at-all-000000000000");
  });
  afterAll(() => t?.close());

  it("lets only owners manage trainer tokens, and shows a token once", async () => {
    expect(await trpcErrorCode(annotator.trpc.training.createToken.mutate({ projectId, name: "mine" }))).toBe("FORBIDDEN");
    expect(await trpcErrorCode(reviewer.trpc.training.tokens.query({ projectId }))).toBe("FORBIDDEN");
    expect(await trpcErrorCode(outsider.trpc.training.createToken.mutate({ projectId, name: "mine" }))).toBe("NOT_FOUND");
    const tokens = await owner.trpc.training.tokens.query({ projectId });
    expect(tokens.map((x) => x.name)).toEqual(["gpu box"]);
    expect(JSON.stringify(tokens)).not.toContain("flt_");
  });

  it("scopes a token to its project", async () => {
    expect(await trainer.trpc.projects.query()).toMatchObject({ trainer: "gpu box", projects: [{ id: projectId, name: "Shoes" }] });
    expect(await errorOf(otherTrainer.trpc.state.query({ projectId }))).toBe("NOT_FOUND");
    expect(await errorOf(otherTrainer.trpc.claimLease.mutate({ projectId, holder: "x" }))).toBe("NOT_FOUND");
    expect(await errorOf(otherTrainer.trainingImage(imageIds[0]!))).toBe("404");
    expect(await errorOf(otherTrainer.putCheckpoint(projectId, "00000000-0000-4000-8000-000000000000", "pretrain", new Uint8Array(1)))).toBe("404");
    expect(await errorOf(anonymousTrainer.trpc.state.query({ projectId }))).toBe("UNAUTHORIZED");
    expect(await errorOf(anonymousTrainer.trainingImage(imageIds[0]!))).toBe("401");
    // A person's session is not a trainer.
    expect(await trpcErrorCode(owner.trpc.trainer.state.query({ projectId }))).toBe("UNAUTHORIZED");
    expect(await trpcErrorCode(owner.trpc.trainer.claimLease.mutate({ projectId, holder: "me" }))).toBe("UNAUTHORIZED");
    // The training copy of an image of its own project.
    const bytes = await trainer.trainingImage(imageIds[0]!);
    expect(bytes.subarray(1, 4).toString()).toBe("PNG");
  });

  it("sends many training copies in one answer, only of the token's project", async () => {
    const all = async (api: TrainerApi, project: string, ids: string[]) => {
      const frames = [];
      for await (const f of api.trainingImages(project, ids)) frames.push(f);
      return frames;
    };
    // In the order asked, each the bytes the single-image route gives; an id that is no image of this project
    // (another project's, made up, not an id at all) answers as not found without failing the rest.
    const { uploadId } = await owner.trpc.uploads.start.mutate({ projectId: otherProjectId });
    await owner.uploadFiles(uploadId, [{ path: "other.png", data: await png(9) }]);
    const foreign = (await owner.trpc.images.list.query({ projectId: otherProjectId })).items[0]!.id;
    const asked = [imageIds[2]!, foreign, imageIds[0]!, "00000000-0000-4000-8000-000000000000", "../../etc/passwd", imageIds[2]!];
    const frames = await all(trainer, projectId, asked);
    expect(frames.map((f) => [f.imageId, f.bytes ? "png" : (f as { missing: string }).missing])).toEqual([
      [imageIds[2], "png"],
      [foreign, "not found"],
      [imageIds[0], "png"],
      ["00000000-0000-4000-8000-000000000000", "not found"],
      ["../../etc/passwd", "not found"],
      [imageIds[2], "png"],
    ]);
    expect(frames[2]!.bytes!.equals(await trainer.trainingImage(imageIds[0]!))).toBe(true);
    // Another project's token, no token, a person's session: refused outright.
    expect(await errorOf(all(otherTrainer, projectId, [imageIds[0]!]))).toBe("404");
    expect(await errorOf(all(anonymousTrainer, projectId, [imageIds[0]!]))).toBe("401");
    const asPerson = await fetch(`${t.baseUrl}/api/trainer/projects/${projectId}/training-images`, {
      method: "POST",
      headers: { cookie: owner.cookie, "content-type": "application/json" },
      body: JSON.stringify({ ids: [imageIds[0]] }),
    });
    expect(asPerson.status).toBe(401);
    // Malformed asks: a clear 400, nothing else.
    const post = (body: string) =>
      fetch(`${t.baseUrl}/api/trainer/projects/${projectId}/training-images`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body });
    for (const body of ["{", "[]", JSON.stringify({ ids: [] }), JSON.stringify({ ids: Array(257).fill(imageIds[0]) }), JSON.stringify({ ids: [1] }), JSON.stringify({ ids: [imageIds[0]], more: 1 })]) {
      const res = await post(body);
      expect([body.slice(0, 20), res.status]).toEqual([body.slice(0, 20), 400]);
      expect(((await res.json()) as { error: string }).error).toMatch(/ids|JSON/);
    }
    expect((await post("x".repeat(70_000))).status).toBe(413);
  });

  it("gives the lease to one trainer at a time and refuses writes without it", async () => {
    const first = await trainer.trpc.claimLease.mutate({ projectId, holder: "trainer-a" });
    expect(first.ok).toBe(true);
    leaseId = (first as { leaseId: string }).leaseId;
    const second = await trainer.trpc.claimLease.mutate({ projectId, holder: "trainer-b" });
    expect(second).toMatchObject({ ok: false, holder: "trainer-a" });
    expect(await trainer.trpc.renewLease.mutate({ projectId, leaseId })).toMatchObject({ paused: false, fineTuneRequested: false });
    const stranger = "00000000-0000-4000-8000-000000000000";
    expect(await errorOf(trainer.trpc.renewLease.mutate({ projectId, leaseId: stranger }))).toBe("CONFLICT");
    expect(await errorOf(trainer.trpc.startRun.mutate({ projectId, leaseId: stranger, stage: "pretrain", totalSteps: 10 }))).toBe("CONFLICT");
    expect(await errorOf(trainer.putCheckpoint(projectId, stranger, "pretrain", new Uint8Array([1, 2])))).toBe("409");
    // An expired lease can be taken over.
    await t.db.prisma.trainerLease.update({ where: { projectId }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const taken = await trainer.trpc.claimLease.mutate({ projectId, holder: "trainer-b" });
    expect(taken.ok).toBe(true);
    expect(await errorOf(trainer.trpc.renewLease.mutate({ projectId, leaseId }))).toBe("CONFLICT");
    leaseId = (taken as { leaseId: string }).leaseId;
    expect((await owner.trpc.training.status.query({ projectId })).trainer).toMatchObject({ holder: "trainer-b" });
  });

  it("stores checkpoints as opaque blobs for the lease holder", async () => {
    expect(await trainer.getCheckpoint(projectId, "pretrain")).toBeNull();
    const blob = new Uint8Array(100_000).map((_, i) => i % 251);
    await trainer.putCheckpoint(projectId, leaseId, "pretrain", blob);
    expect(Buffer.compare((await trainer.getCheckpoint(projectId, "pretrain")) as Buffer, Buffer.from(blob))).toBe(0);
    expect(await errorOf(trainer.putCheckpoint(projectId, leaseId, "../evil", blob))).toMatch(/400|404/);
    expect((await trainer.trpc.state.query({ projectId })).checkpoints).toMatchObject([{ slot: "pretrain", byteSize: 100_000 }]);
  });

  it("streams checkpoints and model files into the store within a size limit, and keeps nothing of a refused one", async () => {
    const limits = { ...trainerLimits };
    const blob = new Uint8Array(100_000).fill(3);
    const auth = { authorization: `Bearer ${token}`, "x-fewlabel-lease": leaseId };
    const put = (slot: string, body: Uint8Array<ArrayBuffer>) => fetch(`${t.baseUrl}/api/trainer/projects/${projectId}/checkpoints/${slot}`, { method: "PUT", headers: auth, body });
    const before = await trainer.getCheckpoint(projectId, "pretrain");
    const versionsBefore = (await owner.trpc.models.list.query({ projectId })).length;
    try {
      trainerLimits.checkpointBytes = 50_000;
      expect((await put("pretrain", blob)).status).toBe(413);
      // A model whose files together pass the limit: refused, and neither a version nor a file is left.
      trainerLimits.modelBytes = 150_000;
      const form = new FormData();
      form.append("meta", JSON.stringify({ stage: "PRETRAIN", classIds: [] }));
      form.append("file", new Blob([blob]), "teacher/model.json");
      form.append("file", new Blob([blob]), "teacher/weights.bin");
      const big = await fetch(`${t.baseUrl}/api/trainer/projects/${projectId}/models`, { method: "POST", headers: auth, body: form });
      expect(big.status).toBe(413);
    } finally {
      Object.assign(trainerLimits, limits);
    }
    expect((await owner.trpc.models.list.query({ projectId })).length).toBe(versionsBefore);
    const modelsDir = path.join(t.storeDir, "models", projectId);
    const stored = () =>
      fs.existsSync(modelsDir)
        ? fs
            .readdirSync(modelsDir, { recursive: true })
            .map(String)
            .filter((f) => /\.(json|bin)$/.test(f))
        : [];
    expect(stored()).toEqual([]); // no published version yet in this project, and nothing of the refused one
    // The refused checkpoint left the stored one as it was.
    expect(Buffer.compare((await trainer.getCheckpoint(projectId, "pretrain"))!, before!)).toBe(0);
    expect((await trainer.trpc.state.query({ projectId })).checkpoints.map((c) => c.slot)).toEqual(["pretrain"]);
    await trainer.putCheckpoint(projectId, leaseId, "after", blob);
    expect((await trainer.getCheckpoint(projectId, "after"))?.length).toBe(100_000);
    await trainer.deleteCheckpoint(projectId, leaseId, "after");
  });

  it("shows a trainer's failure outside a run to members until a run starts", async () => {
    await trainer.trpc.reportError.mutate({ projectId, leaseId, message: "Input size 16 is below the encoder's minimum of 28." });
    await trainer.trpc.reportError.mutate({ projectId, leaseId, message: "Input size 16 is below the encoder's minimum of 28." });
    expect((await annotator.trpc.training.status.query({ projectId })).trainerError).toMatchObject({ message: /minimum of 28/ });
    expect(await errorOf(trainer.trpc.reportError.mutate({ projectId, leaseId: "00000000-0000-4000-8000-000000000000", message: "x" }))).toBe("CONFLICT");
    const { runId } = await trainer.trpc.startRun.mutate({ projectId, leaseId, stage: "pretrain", totalSteps: 10, backend: "wasm" });
    expect((await owner.trpc.training.status.query({ projectId })).trainerError).toBeNull();
    await trainer.trpc.reportProgress.mutate({ projectId, leaseId, runId, step: 10, status: "DONE" });
  });

  it("records runs and progress, announces them, and answers owners' pause", async () => {
    const live = await connect(t.baseUrl, owner.cookie);
    const events = collectEvents(live);
    const ticks = collectTransient(live);
    const joined = await call(live, "project:join", { projectId });
    expect(joined).toMatchObject({ ok: true });
    const { runId } = await trainer.trpc.startRun.mutate({ projectId, leaseId, stage: "pretrain", totalSteps: 100, backend: "wasm" });
    await trainer.trpc.reportProgress.mutate({ projectId, leaseId, runId, step: 10, loss: 4.2, imagesPerSecond: 50, skipped: [{ imageId: imageIds[4]!, reason: "truncated PNG" }] });
    // A tick reaches the room at once but stays out of the change log (seq 0, not replayed); the run's start is logged.
    await waitFor(() => ticks.some((e) => e.type === "training.progress" && e.data.step === 10));
    expect(ticks.every((e) => e.seq === 0)).toBe(true);
    const replay = await call(live, "project:join", { projectId, sinceSeq: joined.seq });
    expect(replay.events.map((e: { type: string; data: { step: number } }) => `${e.type}@${e.data.step}`)).toEqual(["training.progress@0"]);
    expect(await trpcErrorCode(annotator.trpc.training.pause.mutate({ projectId }))).toBe("FORBIDDEN");
    expect(await trpcErrorCode(outsider.trpc.training.pause.mutate({ projectId }))).toBe("NOT_FOUND");
    await owner.trpc.training.pause.mutate({ projectId });
    expect(await trainer.trpc.reportProgress.mutate({ projectId, leaseId, runId, step: 11, loss: 4.1, status: "PAUSED" })).toMatchObject({ paused: true });
    await owner.trpc.training.resume.mutate({ projectId });
    await owner.trpc.training.start.mutate({ projectId });
    expect(await trainer.trpc.renewLease.mutate({ projectId, leaseId })).toMatchObject({ paused: false, fineTuneRequested: true });
    await trainer.trpc.reportProgress.mutate({ projectId, leaseId, runId, step: 100, loss: 3.0, status: "DONE" });
    // Status changes (paused, done) are numbered events of the log.
    await waitFor(() => events.some((e) => e.type === "training.progress" && e.data.status === "DONE" && e.seq > joined.seq));
    expect(events.some((e) => e.type === "training.progress" && e.data.status === "PAUSED")).toBe(true);
    const status = await annotator.trpc.training.status.query({ projectId });
    expect(status.current).toMatchObject({ runId, stage: "pretrain", status: "DONE", step: 100, backend: "wasm" });
    expect(status.current!.history.map((h) => h.step)).toEqual([10, 11, 100]);
    expect(status.current!.skipped).toEqual([{ imageId: imageIds[4], reason: "truncated PNG" }]);
    expect(status.current!.skippedImages).toBe(1);
    await waitFor(() => events.some((e) => e.type === "training.control" && e.data.fineTuneRequested));
    live.close();
  });

  let suggestions: { imageId: string; classId: string; confidence: number; probabilities: number[] }[];

  it("publishes model versions with metrics and serves their files to members and the project's trainer only", async () => {
    const meta = {
      stage: "FINETUNE",
      classIds,
      metrics: {
        accuracy: 0.5,
        heldOut: 2,
        perClass: classIds.map((c) => ({ classId: c, accuracy: 0.5, count: 1 })),
        confusion: [
          [1, 0],
          [1, 0],
        ],
        method: "classifier",
      },
      provenance: { backend: "wasm", steps: 5 },
      imageCount: 5,
      labelledCount: 1,
    };
    expect(await errorOf(trainer.publishModel(projectId, "00000000-0000-4000-8000-000000000000", meta, []))).toBe("409");
    expect(await errorOf(trainer.publishModel(projectId, leaseId, { ...meta, classIds: ["00000000-0000-4000-8000-000000000000"] }, []))).toBe("400");
    expect(await errorOf(trainer.publishModel(projectId, leaseId, meta, [{ path: "../../etc/passwd", bytes: new Uint8Array(1) }]))).toBe("400");
    const files = [
      { path: "teacher/model.json", bytes: new TextEncoder().encode('{"format":"layers-model"}') },
      { path: "teacher/group1-shard1of1.bin", bytes: new Uint8Array([1, 2, 3]) },
      { path: "teacher/metadata.json", bytes: new TextEncoder().encode("{}") },
      { path: "teacher/preprocess.js", bytes: new TextEncoder().encode("export const shape = [1, 28, 28, 1];\n") },
    ];
    const published = await trainer.publishModel(projectId, leaseId, meta, files);
    expect(published.version).toBe(1);
    modelVersionId = published.id;
    const [listed] = await annotator.trpc.models.list.query({ projectId });
    expect(listed).toMatchObject({ id: modelVersionId, version: 1, stage: "FINETUNE", metrics: { accuracy: 0.5 }, files: { teacher: expect.arrayContaining(["model.json"]) } });
    expect((await annotator.fetch(listed!.downloads.teacher!.modelJson)).status).toBe(200);
    const zip = await annotator.fetch(listed!.downloads.teacher!.zip);
    expect(zip.headers.get("content-type")).toBe("application/zip");
    const zipBytes = Buffer.from(await zip.arrayBuffer());
    expect(zipBytes.subarray(0, 2).toString()).toBe("PK");
    // The preprocessing module is in the zip, and served as JavaScript (a browser can import it under nosniff).
    expect(zipBytes.includes("teacher/preprocess.js")).toBe(true);
    const js = await annotator.fetch(listed!.downloads.teacher!.modelJson.replace(/model\.json$/, "preprocess.js"));
    expect(js.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(await js.text()).toContain("export const shape");
    expect((await outsider.fetch(listed!.downloads.teacher!.modelJson)).status).toBe(404);
    expect((await outsider.fetch(listed!.downloads.teacher!.zip)).status).toBe(404);
    expect(await errorOf(otherTrainer.modelFile(modelVersionId, "teacher", "model.json"))).toBe("404");
    expect((await trainer.modelFile(modelVersionId, "teacher", "group1-shard1of1.bin")).length).toBe(3);
    expect(await trpcErrorCode(outsider.trpc.models.list.query({ projectId }))).toBe("NOT_FOUND");
  });

  it("stores suggestions only for unlabelled images and never overwrites a human label", async () => {
    // The annotator labels image 0 by hand first.
    const live = await connect(t.baseUrl, annotator.cookie);
    await call(live, "project:join", { projectId });
    expect(await call(live, "label:set", { projectId, imageId: imageIds[0], classId: classIds[1], clientLabelId: crypto.randomUUID() })).toMatchObject({ ok: true });
    live.close();
    suggestions = imageIds.map((imageId, i) => {
      const confidence = [0.99, 0.95, 0.9, 0.6, 0.55][i]!;
      const cls = i % 2;
      return { imageId, classId: classIds[cls]!, confidence, probabilities: cls === 0 ? [confidence, 1 - confidence] : [1 - confidence, confidence] };
    });
    expect(await errorOf(trainer.trpc.postPseudoLabels.mutate({ projectId, leaseId: "00000000-0000-4000-8000-000000000000", modelVersionId, items: suggestions }))).toBe("CONFLICT");
    expect(await trainer.trpc.postPseudoLabels.mutate({ projectId, leaseId, modelVersionId, items: suggestions })).toEqual({ stored: 4, skipped: 1 });
    const image0 = await owner.trpc.images.get.query({ projectId, imageId: imageIds[0]! });
    expect(image0).toMatchObject({ labelClassId: classIds[1], labelSource: "HUMAN" });
    const queue = await annotator.trpc.pseudoLabels.list.query({ projectId });
    expect(queue.items.map((q) => q.confidence)).toEqual([0.95, 0.9, 0.6, 0.55]);
    expect((await annotator.trpc.pseudoLabels.list.query({ projectId, order: "asc" })).items[0]!.confidence).toBe(0.55);
    expect((await annotator.trpc.pseudoLabels.list.query({ projectId, classId: classIds[0]! })).items.map((q) => q.imageId)).toEqual([imageIds[2], imageIds[4]]);
    expect((await annotator.trpc.pseudoLabels.list.query({ projectId, minConfidence: 0.8 })).total).toBe(2);
    expect(await trpcErrorCode(outsider.trpc.pseudoLabels.list.query({ projectId }))).toBe("NOT_FOUND");
    expect((await annotator.trpc.pseudoLabels.forImages.query({ projectId, imageIds: [imageIds[1]!, imageIds[0]!] })).map((s) => s.imageId)).toEqual([imageIds[1]]);
  });

  it("reviews suggestions: reject sticks for the model version, accept is an undoable label with source MODEL_REVIEWED", async () => {
    const queue = (await annotator.trpc.pseudoLabels.list.query({ projectId })).items;
    const byImage = new Map(queue.map((q) => [q.imageId, q]));
    // Reject image 3's suggestion; the same model version posting it again does not bring it back.
    await annotator.trpc.pseudoLabels.reject.mutate({ projectId, pseudoLabelId: byImage.get(imageIds[3]!)!.id });
    expect(await trainer.trpc.postPseudoLabels.mutate({ projectId, leaseId, modelVersionId, items: [suggestions[3]!] })).toEqual({ stored: 0, skipped: 1 });
    expect((await annotator.trpc.pseudoLabels.list.query({ projectId })).items.map((q) => q.imageId)).not.toContain(imageIds[3]);
    expect(await trpcErrorCode(annotator.trpc.pseudoLabels.accept.mutate({ projectId, pseudoLabelId: byImage.get(imageIds[3]!)!.id }))).toBe("CONFLICT");
    expect(await trpcErrorCode(outsider.trpc.pseudoLabels.accept.mutate({ projectId, pseudoLabelId: byImage.get(imageIds[1]!)!.id }))).toBe("NOT_FOUND");

    // Accept image 1's suggestion: it becomes the label, with the reviewer and the model as its source.
    const annotatorId = (await annotator.trpc.auth.me.query())!.id;
    await annotator.trpc.pseudoLabels.accept.mutate({ projectId, pseudoLabelId: byImage.get(imageIds[1]!)!.id });
    expect(await owner.trpc.images.get.query({ projectId, imageId: imageIds[1]! })).toMatchObject({ labelClassId: classIds[1], labelSource: "MODEL_REVIEWED", labelledById: annotatorId });
    expect((await owner.trpc.images.history.query({ projectId, imageId: imageIds[1]! })).map((h) => h.source)).toEqual(["MODEL_REVIEWED"]);
    // Undo takes the label back and the suggestion returns to the queue.
    const undone = await undoLast(t.db.prisma, { projectId, actor: { id: annotatorId, name: "annotator" } });
    expect(undone).toMatchObject({ imageId: imageIds[1], classId: null });
    expect((await owner.trpc.images.get.query({ projectId, imageId: imageIds[1]! })).labelClassId).toBeNull();
    expect((await annotator.trpc.pseudoLabels.list.query({ projectId })).items.map((q) => q.imageId)).toContain(imageIds[1]);

    // Correct image 4 to the other class: a plain human label.
    await annotator.trpc.pseudoLabels.correct.mutate({ projectId, pseudoLabelId: byImage.get(imageIds[4]!)!.id, classId: classIds[1]! });
    expect(await owner.trpc.images.get.query({ projectId, imageId: imageIds[4]! })).toMatchObject({ labelClassId: classIds[1], labelSource: "HUMAN" });
  });

  it("finds suggestions by class and confidence in the grid, reviews a gallery batch in one go and takes it back", async () => {
    // Pending now: image 1 (class 1, 0.95) and image 2 (class 0, 0.9); the rest is labelled or rejected.
    const pending = new Map((await annotator.trpc.pseudoLabels.list.query({ projectId })).items.map((q) => [q.imageId, q]));
    expect([...pending.keys()].sort()).toEqual([imageIds[1], imageIds[2]].sort());
    const perClass = await annotator.trpc.pseudoLabels.perClass.query({ projectId });
    expect(new Map(perClass.map((r) => [r.classId, r.count]))).toEqual(
      new Map([
        [classIds[0], 1],
        [classIds[1], 1],
      ]),
    );
    expect(await trpcErrorCode(outsider.trpc.pseudoLabels.perClass.query({ projectId }))).toBe("NOT_FOUND");

    // The grid: filtered by suggested class, and ordered by the suggestion's confidence (the rest after, newest first).
    const grid = (filter: Record<string, unknown>, cursor?: number, limit?: number) =>
      annotator.trpc.images.list.query({ projectId, filter: { status: "all", classId: null, search: "", ...filter }, cursor, limit });
    expect((await grid({ suggestedClassId: classIds[1] })).items.map((i) => i.id)).toEqual([imageIds[1]]);
    const least = await grid({ sort: "leastConfident" });
    expect(least.total).toBe(5);
    expect(least.items.slice(0, 2).map((i) => i.id)).toEqual([imageIds[2], imageIds[1]]);
    expect(new Set(least.items.map((i) => i.id)).size).toBe(5);
    expect((await grid({ sort: "mostConfident" })).items.slice(0, 2).map((i) => i.id)).toEqual([imageIds[1], imageIds[2]]);
    // Pages of 2 cross from the suggested images into the rest without losing or repeating one.
    const paged = [];
    for (let cursor = 0; cursor < 5; cursor += 2) paged.push(...(await grid({ sort: "leastConfident" }, cursor, 2)).items.map((i) => i.id));
    expect(paged).toEqual(least.items.map((i) => i.id));

    const one = pending.get(imageIds[1]!)!.id;
    const two = pending.get(imageIds[2]!)!.id;
    const rejectedEarlier = (await t.db.prisma.pseudoLabel.findFirstOrThrow({ where: { imageId: imageIds[3]!, status: "REJECTED" } })).id;
    // Outsiders, unknown classes and malformed batches change nothing.
    expect(await trpcErrorCode(outsider.trpc.pseudoLabels.reviewMany.mutate({ projectId, reviews: [{ pseudoLabelId: one, action: "accept" }] }))).toBe("NOT_FOUND");
    const foreignClass = (await owner.trpc.classes.list.query({ projectId: otherProjectId }))[0]!.id;
    expect(
      await trpcErrorCode(
        annotator.trpc.pseudoLabels.reviewMany.mutate({
          projectId,
          reviews: [
            { pseudoLabelId: one, action: "accept" },
            { pseudoLabelId: two, action: "correct", classId: foreignClass },
          ],
        }),
      ),
    ).toBe("NOT_FOUND");
    expect(await trpcErrorCode(annotator.trpc.pseudoLabels.reviewMany.mutate({ projectId, reviews: [] }))).toBe("BAD_REQUEST");
    expect((await owner.trpc.images.get.query({ projectId, imageId: imageIds[1]! })).labelClassId).toBeNull();

    // The batch: accept one, reject the marked one; a suggestion reviewed before is skipped, not an error. Another
    // member sees it live.
    const live = await connect(t.baseUrl, owner.cookie);
    const events = collectEvents(live);
    await call(live, "project:join", { projectId });
    const batch = await annotator.trpc.pseudoLabels.reviewMany.mutate({
      projectId,
      reviews: [
        { pseudoLabelId: one, action: "accept" },
        { pseudoLabelId: two, action: "reject" },
        { pseudoLabelId: rejectedEarlier, action: "accept" },
      ],
    });
    expect(batch).toEqual({ accepted: [one], rejected: [two], corrected: [], skipped: 1 });
    expect(await owner.trpc.images.get.query({ projectId, imageId: imageIds[1]! })).toMatchObject({ labelClassId: classIds[1], labelSource: "MODEL_REVIEWED" });
    expect((await owner.trpc.images.get.query({ projectId, imageId: imageIds[2]! })).labelClassId).toBeNull();
    expect((await annotator.trpc.pseudoLabels.list.query({ projectId })).total).toBe(0);
    expect(await annotator.trpc.pseudoLabels.perClass.query({ projectId })).toEqual([]);
    await waitFor(() => events.some((e) => e.type === "label" && e.data.imageId === imageIds[1]) && events.some((e) => e.type === "pseudoLabels.reviewed"));

    // Only the reviewer's own batch can be taken back; theirs comes back whole: the label is gone (recorded as an undo
    // in the history) and both suggestions are pending again.
    expect(await reviewer.trpc.pseudoLabels.undoReviews.mutate({ projectId, pseudoLabelIds: [one, two] })).toEqual({ reopened: 0, skipped: 2 });
    expect(await annotator.trpc.pseudoLabels.undoReviews.mutate({ projectId, pseudoLabelIds: [one, two] })).toEqual({ reopened: 2, skipped: 0 });
    expect((await owner.trpc.images.get.query({ projectId, imageId: imageIds[1]! })).labelClassId).toBeNull();
    const history = await owner.trpc.images.history.query({ projectId, imageId: imageIds[1]! });
    expect(history.slice(-2)).toMatchObject([
      { source: "MODEL_REVIEWED", classId: classIds[1], undo: false },
      { classId: null, previousClassId: classIds[1], undo: true },
    ]);
    expect((await annotator.trpc.pseudoLabels.list.query({ projectId })).items.map((q) => q.id).sort()).toEqual([one, two].sort());
    // Taking it back twice does nothing more.
    expect(await annotator.trpc.pseudoLabels.undoReviews.mutate({ projectId, pseudoLabelIds: [one, two] })).toEqual({ reopened: 0, skipped: 2 });
    await waitFor(() => events.some((e) => e.type === "pseudoLabels.reviewed" && e.data.items.some((i) => i.status === "PENDING")));
    live.close();
  });

  it("bulk-accepts above a threshold for reviewers, after previewing how many", async () => {
    expect(await annotator.trpc.pseudoLabels.bulkAcceptPreview.query({ projectId, minConfidence: 0.85 })).toMatchObject({ count: 2 });
    expect(await trpcErrorCode(annotator.trpc.pseudoLabels.bulkAccept.mutate({ projectId, minConfidence: 0.85 }))).toBe("FORBIDDEN");
    expect(await reviewer.trpc.pseudoLabels.bulkAccept.mutate({ projectId, minConfidence: 0.85 })).toEqual({ accepted: 2 });
    for (const i of [1, 2]) expect((await owner.trpc.images.get.query({ projectId, imageId: imageIds[i]! })).labelSource).toBe("MODEL_REVIEWED");
    expect(await annotator.trpc.pseudoLabels.bulkAcceptPreview.query({ projectId, minConfidence: 0.85 })).toMatchObject({ count: 0 });
    expect((await owner.trpc.training.status.query({ projectId })).counts).toMatchObject({ images: 5, labelled: 4, pendingSuggestions: 0 });
  });

  it("refuses a revoked token everywhere, and frees the lease its trainer held at once", async () => {
    expect((await owner.trpc.training.status.query({ projectId })).trainer).not.toBeNull();
    await owner.trpc.training.revokeToken.mutate({ projectId, tokenId });
    expect((await owner.trpc.training.status.query({ projectId })).trainer).toBeNull();
    expect(await errorOf(trainer.trpc.state.query({ projectId }))).toBe("UNAUTHORIZED");
    expect(await errorOf(trainer.trainingImage(imageIds[0]!))).toBe("401");
    expect(await errorOf(trainer.putCheckpoint(projectId, "00000000-0000-4000-8000-000000000000", "pretrain", new Uint8Array(1)))).toBe("401");
    expect(await errorOf(trainer.modelFile(modelVersionId, "teacher", "model.json"))).toBe("401");
  });
});
