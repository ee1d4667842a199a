// The whole loop on real data against a real server: Fashion-MNIST images (Debian's dataset-fashion-mnist) are
// uploaded, the trainer pretrains on them, people label a few, the trainer fine-tunes, pseudo-labels the rest (which
// reach another user's open connection live), people review (accept, reject, bulk accept), the trainer distils a
// student, more uploads extend the pretraining, and the student is downloaded and runs in a fresh TensorFlow.js model.
// The trainer here is driven one reconciler decision at a time (runNext), so every stage transition is asserted.
import { selectBackend, tf, tfl } from "@fewlabel/ml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer, TestUser } from "@fewlabel/web/testing";
import { call, collectEvents, connect, type LiveSocket, waitFor } from "@fewlabel/web/testing/realtime";
import { ActivityReporter } from "../src/activity";
import { createTrainerApi } from "../src/api-client";
import type { TrainerConfig } from "../src/config";
import { LeaseKeeper } from "../src/lease";
import { preferLinearHead } from "../src/linear-head";
import { keepPixelExpert } from "../src/pixel-expert";
import { ProjectTrainer } from "../src/project-trainer";
import { FASHION_MNIST_DIR, fashionMnistAvailable, type FashionPng, fashionPngs } from "./fashion-images";
import { tinyConfig } from "./tiny-config";

// Under CI a missing data set fails the test instead of skipping it: a green run means every test ran.
const available = fashionMnistAvailable() || !!process.env.CI;
if (!available) console.warn(`trainer loop test: SKIPPED, Fashion-MNIST not found in ${FASHION_MNIST_DIR} (apt-get install -y dataset-fashion-mnist)`);

// Trouser, Sneaker, Bag, T-shirt: four classes, 30 images each.
const CLASSES = [1, 7, 8, 0];
const NAMES = ["trouser", "sneaker", "bag", "tshirt"];

describe.skipIf(!available)("the trainer loop on Fashion-MNIST", () => {
  let t: TestServer;
  let owner: TestUser, reviewer: TestUser;
  let projectId: string;
  let classIdOf: Map<number, string>;
  let truthOf: Map<string, number>; // imageId -> Fashion-MNIST label
  let cfg: TrainerConfig;
  let trainer: ProjectTrainer;
  let lease: LeaseKeeper;
  let reviewerSocket: LiveSocket;
  const shutdown = new AbortController();
  const logs: string[] = [];

  async function upload(files: FashionPng[]) {
    const { uploadId } = await owner.trpc.uploads.start.mutate({ projectId });
    const up = await owner.uploadFiles(
      uploadId,
      files.map((f) => ({ path: f.path, data: f.data })),
    );
    expect(up.body).toMatchObject({ type: "done", accepted: files.length });
    await owner.trpc.uploads.finish.mutate({ projectId, uploadId });
    const byName = new Map(files.map((f) => [f.path, f.label]));
    for (const img of (await owner.trpc.images.list.query({ projectId, limit: 1000 })).items) {
      if (byName.has(img.filename)) truthOf.set(img.id, byName.get(img.filename)!);
    }
  }

  const models = () => owner.trpc.models.list.query({ projectId });

  beforeAll(async () => {
    await selectBackend({ order: ["wasm"] });
    t = await startTestServer("pglite");
    owner = await TestUser.signUp(t.baseUrl, "owner@example.com");
    reviewer = await TestUser.signUp(t.baseUrl, "reviewer@example.com");
    ({ id: projectId } = await owner.trpc.projects.create.mutate({ name: "Fashion", classes: NAMES.map((name, i) => ({ name, hotkey: String(i + 1) })) }));
    const invite = await owner.trpc.invites.create.mutate({ projectId, role: "REVIEWER" });
    await reviewer.trpc.invites.accept.mutate({ token: invite.token });
    const classes = await owner.trpc.classes.list.query({ projectId });
    classIdOf = new Map(CLASSES.map((c, i) => [c, classes.find((x) => x.name === NAMES[i])!.id]));
    truthOf = new Map();
    const { token } = await owner.trpc.training.createToken.mutate({ projectId, name: "test" });
    // The heavy stages one decision at a time; quick suggestions between them have their own test
    // (quick-suggestions.test.ts), and their 1 s interval would make the order of decisions here depend on timing.
    cfg = tinyConfig(t.baseUrl, token, { quickRefreshSeconds: 0 });
    const api = createTrainerApi(t.baseUrl, token);
    trainer = new ProjectTrainer(api, cfg, projectId, "wasm", (m) => logs.push(m));
    // What main.ts wires up: a stage's own word (stage 3's self-training rounds) goes to the Training page.
    const reporter = new ActivityReporter(api.trpc);
    trainer.onActivity = (activity, held) => reporter.say(projectId, held.leaseId, activity);
    lease = (await LeaseKeeper.claim(api, projectId, cfg.name, cfg.leaseSeconds, (m) => logs.push(m)))!;
    reviewerSocket = await connect(t.baseUrl, reviewer.cookie);
    expect(await call(reviewerSocket, "project:join", { projectId })).toMatchObject({ ok: true });
  });
  afterAll(async () => {
    reviewerSocket?.close();
    await lease?.release();
    await t?.close();
    console.log(logs.map((l) => `  ${l}`).join("\n"));
  });

  it("drives upload, pretrain, labels, fine-tune, pseudo-labels, review, distil, more uploads and export", { timeout: 120_000 }, async () => {
    const live = collectEvents(reviewerSocket);
    const t0 = performance.now();
    const settled = () => new Promise((r) => setTimeout(r, cfg.uploadSettleSeconds * 1000 + 200));
    const next = async () => {
      const action = await trainer.runNext(lease, shutdown.signal);
      logs.push(`${action.kind} done at ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      return action;
    };

    // Nothing to do before there are images.
    expect(await next()).toMatchObject({ kind: "wait" });
    await upload(await fashionPngs(CLASSES, 30));
    // Fresh images: training waits for the upload to settle (1 s in the test configuration) before it starts.
    expect(await next()).toMatchObject({ kind: "wait", reason: expect.stringContaining("settle") });
    await settled();

    // Stage 1 on all 120 images, without labels: a PRETRAIN version with no metrics yet.
    expect(await next()).toMatchObject({ kind: "pretrain", extend: false });
    expect(await models()).toMatchObject([{ version: 1, stage: "PRETRAIN", metrics: null, imageCount: 120 }]);
    expect(live.some((e) => e.type === "training.progress" && e.data.stage === "pretrain" && e.data.status === "DONE")).toBe(true);
    expect(await next()).toMatchObject({ kind: "wait", reason: expect.stringContaining("waiting for labels") });

    // Labels arrive: the first 12 images of each class, through the same socket path the labelling UI uses.
    const labeller = await connect(t.baseUrl, owner.cookie);
    await call(labeller, "project:join", { projectId });
    const images = [...truthOf.keys()];
    for (const c of CLASSES) {
      const ids = images.filter((id) => truthOf.get(id) === c).slice(0, 12);
      expect(await call(labeller, "label:setMany", { projectId, imageIds: ids, classId: classIdOf.get(c), clientLabelId: crypto.randomUUID() })).toMatchObject({ ok: true, count: 12 });
    }
    labeller.close();

    // Stage 2: a teacher with metrics on the held-out human labels.
    expect(await next()).toMatchObject({ kind: "finetune", reason: "first fine-tune" });
    const [teacherVersion] = await models();
    expect(teacherVersion).toMatchObject({ version: 2, stage: "FINETUNE", labelledCount: 48, files: { teacher: expect.arrayContaining(["model.json", "metadata.json", "preprocess.js"]) } });
    const m = teacherVersion!.metrics!;
    expect(m.heldOut).toBeGreaterThan(0);
    expect(m.confusion).toHaveLength(4);
    expect(m.confusion.flat().reduce((s, v) => s + v, 0)).toBe(m.heldOut);
    expect(m.perClass.map((p) => p.classId).sort()).toEqual([...classIdOf.values()].sort());
    // Three few-label heads scored on the same held-out labels; the chosen one follows the rules: the network keeps its
    // pixel expert unless it alone is clearly better, and the linear head replaces them only when clearly better still.
    const heads = new Map(m.head!.candidates.map((c) => [c.name, c.accuracy]));
    expect([...heads.keys()].sort()).toEqual(["fine-tuned", "fine-tuned + logistic regression on pixels and edges", "linear on frozen features"]);
    const score = (name: string) => ({ accuracy: heads.get(name)!, heldOut: m.heldOut });
    const network = keepPixelExpert(score("fine-tuned"), score("fine-tuned + logistic regression on pixels and edges")) ? "fine-tuned + logistic regression on pixels and edges" : "fine-tuned";
    expect(m.head!.chosen).toBe(preferLinearHead(score("linear on frozen features"), score(network)) ? "linear on frozen features" : network);
    expect(m.accuracy).toBe(heads.get(m.head!.chosen));

    // Stage 3: every unlabelled image gets a suggestion (live to the reviewer's connection), then a student.
    expect(await next()).toMatchObject({ kind: "stage3", teacherVersionId: teacherVersion!.id });
    const suggestedBy = (versionId: string) => live.reduce((s, e) => s + (e.type === "pseudoLabels.added" && e.data.modelVersionId === versionId ? e.data.items.length : 0), 0);
    await waitFor(() => suggestedBy(teacherVersion!.id) === 72);
    const [studentVersion] = await models();
    // The student serves (the only one); scoring at least as well as its teacher on the held-out labels, it labels the
    // unlabelled images again in its teacher's place.
    const speaker = studentVersion!.metrics!.accuracy >= m.accuracy ? studentVersion! : teacherVersion!;
    if (speaker === studentVersion) await waitFor(() => suggestedBy(studentVersion!.id) === 72);
    else expect(suggestedBy(studentVersion!.id)).toBe(0);
    const queue = await reviewer.trpc.pseudoLabels.list.query({ projectId, limit: 500 });
    expect(queue.items.every((q) => q.modelVersionId === speaker.id)).toBe(true);
    expect(queue.total).toBe(72);
    const confidences = queue.items.map((q) => q.confidence);
    expect(confidences).toEqual([...confidences].sort((a, b) => b - a));
    const correct = queue.items.filter((q) => classIdOf.get(truthOf.get(q.imageId)!) === q.classId).length;
    console.log(
      `loop: teacher held-out accuracy ${(m.accuracy * 100).toFixed(0)}% (${m.heldOut} labels), the serving suggestions ${((correct / queue.total) * 100).toFixed(0)}% on ${queue.total} unlabelled images`,
    );
    expect(correct / queue.total).toBeGreaterThan(0.4); // chance: 0.25
    expect(studentVersion).toMatchObject({
      version: 3,
      stage: "DISTIL",
      parentId: teacherVersion!.id,
      files: { student: expect.arrayContaining(["model.json", "preprocess.js"]), teacher: expect.arrayContaining(["model.json", "preprocess.js"]) },
    });
    // Self-trained (the default): pseudo-labels relabelled by the student, the last round's count on the card.
    expect(studentVersion!.provenance).toMatchObject({ method: expect.stringContaining("self-training"), pseudoLabelled: expect.stringMatching(/^\d+ of \d+ unlabelled images in round \d+$/) });
    expect(studentVersion!.metrics!.teacherAgreement).toBeGreaterThanOrEqual(0);
    // A teacher with a pixel expert passes it on: the student is scored alone and with it, and the card says which serves.
    const sm = studentVersion!.metrics!;
    if (m.head!.chosen === "fine-tuned + logistic regression on pixels and edges") {
      expect(sm.head!.candidates.map((c) => c.name).sort()).toEqual(["self-trained", "self-trained + logistic regression on pixels and edges"]);
      expect(sm.accuracy).toBe(sm.head!.candidates.find((c) => c.name === sm.head!.chosen)!.accuracy);
      expect(studentVersion!.provenance).toMatchObject({ pixels: sm.head!.chosen === "self-trained" ? "its own" : "the teacher's pixel expert added" });
    } else expect(sm.head).toBeUndefined();
    // The Training page heard the first round as it came (later ones at most every 30 s). What the student counts as
    // unlabelled: every image without a training label, the held-out ones included.
    await waitFor(() =>
      live.some(
        (e) => e.type === "training.activity" && e.data.kind === "stage3" && /self-training, round 1 of \d+: the teacher is at least 95% sure of \d+ of \d+ unlabelled images$/.test(e.data.reason),
      ),
    );
    expect(await next()).toMatchObject({ kind: "wait", reason: "up to date" });

    // Review: accept the five most confident, reject the least confident, bulk-accept what is left above 0.9.
    for (const q of queue.items.slice(0, 5)) await reviewer.trpc.pseudoLabels.accept.mutate({ projectId, pseudoLabelId: q.id });
    const rejected = queue.items[queue.items.length - 1]!;
    await reviewer.trpc.pseudoLabels.reject.mutate({ projectId, pseudoLabelId: rejected.id });
    const preview = await reviewer.trpc.pseudoLabels.bulkAcceptPreview.query({ projectId, minConfidence: 0.9 });
    const bulk = await reviewer.trpc.pseudoLabels.bulkAccept.mutate({ projectId, minConfidence: 0.9 });
    expect(bulk.accepted).toBe(preview.count);
    const accepted = await owner.trpc.images.get.query({ projectId, imageId: queue.items[0]!.imageId });
    expect(accepted).toMatchObject({ labelClassId: queue.items[0]!.classId, labelSource: "MODEL_REVIEWED" });
    await waitFor(() => live.some((e) => e.type === "pseudoLabels.reviewed" && e.data.items.some((i) => i.id === rejected.id && i.status === "REJECTED")));

    // The labelled set grew past the threshold (10% of the 48 labels at the last fine-tune): stage 2 is due again.
    expect((await trainer.plan()).action).toMatchObject({ kind: "finetune", reason: expect.stringContaining("new labels") });

    // More uploads (+25%): stage 1 extends the encoder first (from its weights), then stage 2 follows.
    await upload(await fashionPngs(CLASSES, 8, 30));
    await settled();
    expect(await next()).toMatchObject({ kind: "pretrain", extend: true });
    const versions = await models();
    expect(versions.map((v) => v.stage)).toEqual(["PRETRAIN", "DISTIL", "FINETUNE", "PRETRAIN"]);
    expect(versions[0]).toMatchObject({ imageCount: 152, provenance: { steps: 5 } });
    expect((await trainer.plan()).action).toMatchObject({ kind: "finetune" });

    // Export: the student, downloaded as a member would, loads in stock TensorFlow.js and classifies.
    const student = versions[1]!;
    const zip = await owner.fetch(student.downloads.student!.zip);
    expect(zip.headers.get("content-type")).toBe("application/zip");
    const modelJson = (await (await owner.fetch(student.downloads.student!.modelJson)).json()) as tf.io.ModelJSON;
    const shard = await (await owner.fetch(`/api/models/${student.id}/student/${modelJson.weightsManifest[0]!.paths[0]}`)).arrayBuffer();
    const model = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs: modelJson.weightsManifest[0]!.weights, weightData: shard }));
    const out = model.predict(tf.zeros([2, 28, 28, 1])) as tf.Tensor;
    expect(out.shape).toEqual([2, 4]);
    const csv = await (await owner.fetch(`/api/projects/${projectId}/export?format=csv`)).text();
    expect(csv).toContain("model_reviewed");

    const status = await owner.trpc.training.status.query({ projectId });
    expect(status.recent.every((r) => r.status === "DONE")).toBe(true);
  });
});
