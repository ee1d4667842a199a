// Suggestions that react in seconds (issue 12, item 6), from the outside: a real server on PGlite, Fashion-MNIST
// images uploaded and labelled as people do (HTTP and the labelling socket), a ProjectTrainer driven one reconciler
// decision at a time. After one pretraining, 20 labels make suggestions appear for every unlabelled image with no
// fine-tune in between (attributed to the PRETRAIN version, marked as quick, live on another member's socket);
// labelling more changes them in place; and labels given while a fine-tune runs get fresh suggestions between its
// steps, before it ends.
import { selectBackend } from "@fewlabel/ml";
import type { ProjectEvent } from "@fewlabel/realtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer, TestUser } from "@fewlabel/web/testing";
import { call, collectEvents, connect, type LiveSocket, waitFor } from "@fewlabel/web/testing/realtime";
import { createTrainerApi } from "../src/api-client";
import type { TrainerConfig } from "../src/config";
import { LeaseKeeper } from "../src/lease";
import { ProjectTrainer } from "../src/project-trainer";
import { StageInterrupted } from "../src/stage-run";
import { FASHION_MNIST_DIR, fashionMnistAvailable, fashionPngs } from "./fashion-images";
import { tinyConfig } from "./tiny-config";

// Under CI the dataset must be there: a missing one fails (loadFashionMnist throws) instead of skipping.
const available = fashionMnistAvailable() || !!process.env.CI;
if (!available) console.warn(`quick suggestions test: SKIPPED, Fashion-MNIST not found in ${FASHION_MNIST_DIR} (apt-get install -y dataset-fashion-mnist)`);

// Trouser, Sneaker, Bag, T-shirt: four classes, 30 images each.
const CLASSES = [1, 7, 8, 0];
const NAMES = ["trouser", "sneaker", "bag", "tshirt"];

type Added = Extract<ProjectEvent, { type: "pseudoLabels.added" }>;

describe.skipIf(!available)("quick suggestions", () => {
  let t: TestServer;
  let owner: TestUser, member: TestUser;
  let projectId: string;
  let classIdOf: Map<number, string>;
  const truthOf = new Map<string, number>();
  let cfg: TrainerConfig;
  let trainer: ProjectTrainer;
  let lease: LeaseKeeper;
  let memberSocket: LiveSocket, labeller: LiveSocket;
  const logs: string[] = [];

  beforeAll(async () => {
    await selectBackend({ order: ["wasm"] });
    t = await startTestServer("pglite");
    owner = await TestUser.signUp(t.baseUrl, "owner@example.com");
    member = await TestUser.signUp(t.baseUrl, "member@example.com");
    ({ id: projectId } = await owner.trpc.projects.create.mutate({ name: "Quick", classes: NAMES.map((name, i) => ({ name, hotkey: String(i + 1) })) }));
    const invite = await owner.trpc.invites.create.mutate({ projectId, role: "ANNOTATOR" });
    await member.trpc.invites.accept.mutate({ token: invite.token });
    const classes = await owner.trpc.classes.list.query({ projectId });
    classIdOf = new Map(CLASSES.map((c, i) => [c, classes.find((x) => x.name === NAMES[i])!.id]));
    const { token } = await owner.trpc.training.createToken.mutate({ projectId, name: "test" });
    // A fine-tune long enough to label during it; it is paused once the point is made.
    cfg = tinyConfig(t.baseUrl, token, { finetuneSteps: 2000 });
    const api = createTrainerApi(t.baseUrl, token);
    trainer = new ProjectTrainer(api, cfg, projectId, "wasm", (m) => logs.push(m));
    lease = (await LeaseKeeper.claim(api, projectId, cfg.name, cfg.leaseSeconds, (m) => logs.push(m)))!;
    memberSocket = await connect(t.baseUrl, member.cookie);
    expect(await call(memberSocket, "project:join", { projectId })).toMatchObject({ ok: true });
    labeller = await connect(t.baseUrl, owner.cookie);
    expect(await call(labeller, "project:join", { projectId })).toMatchObject({ ok: true });
  });
  afterAll(async () => {
    memberSocket?.close();
    labeller?.close();
    await lease?.release();
    await t?.close();
    console.log(logs.map((l) => `  ${l}`).join("\n"));
  });

  /** Labels the images at positions [from, to) of each class (in upload order) with their true class. */
  async function label(from: number, to: number) {
    const images = [...truthOf.keys()];
    for (const c of CLASSES) {
      const ids = images.filter((id) => truthOf.get(id) === c).slice(from, to);
      expect(await call(labeller, "label:setMany", { projectId, imageIds: ids, classId: classIdOf.get(c), clientLabelId: crypto.randomUUID() })).toMatchObject({ ok: true, count: ids.length });
    }
  }

  /**
   * The quick refreshes the trainer logged from log line `since` on: the labels each trained on and how many
   * suggestions it posted. A refresh posts only suggestions whose class changed or whose confidence moved by 0.02 or
   * more, so one can post none (a kNN head of a few neighbours on four well-separated kinds of clothing often votes
   * unanimously before and after), and then no event is sent.
   */
  function refreshesSince(since: number) {
    return logs.slice(since).flatMap((line) => {
      const m = /^quick suggestions \(labels changed\): .*trained on (\d+)[,)].*: (\d+) posted of (\d+) unlabelled/.exec(line);
      return m ? [{ trainLabels: Number(m[1]), posted: Number(m[2]), unlabelled: Number(m[3]) }] : [];
    });
  }

  /** The pending suggestion of every unlabelled image, with how many of them name the true class. */
  async function queue() {
    const q = await member.trpc.pseudoLabels.list.query({ projectId, limit: 500 });
    const correct = q.items.filter((s) => classIdOf.get(truthOf.get(s.imageId)!) === s.classId).length;
    return { ...q, accuracy: correct / Math.max(1, q.items.length), byImage: new Map(q.items.map((s) => [s.imageId, s])) };
  }

  it("suggests for every unlabelled image seconds after labels arrive, changes them as labels grow, also while a fine-tune runs", { timeout: 90_000 }, async () => {
    const live = collectEvents(memberSocket);
    const shutdown = new AbortController();
    const next = () => trainer.runNext(lease, shutdown.signal);
    const added = (since: number) => live.slice(since).filter((e): e is Added => e.type === "pseudoLabels.added");
    // Quick refreshes are at most every quickRefreshSeconds apart (in between, heavy stages run): let it pass.
    const interval = () => new Promise((r) => setTimeout(r, cfg.quickRefreshSeconds * 1000 + 50));

    const { uploadId } = await owner.trpc.uploads.start.mutate({ projectId });
    const files = await fashionPngs(CLASSES, 30);
    expect(
      (
        await owner.uploadFiles(
          uploadId,
          files.map((f) => ({ path: f.path, data: f.data })),
        )
      ).body,
    ).toMatchObject({ type: "done", accepted: 120 });
    await owner.trpc.uploads.finish.mutate({ projectId, uploadId });
    const byName = new Map(files.map((f) => [f.path, f.label]));
    for (const img of (await owner.trpc.images.list.query({ projectId, limit: 1000 })).items) truthOf.set(img.id, byName.get(img.filename)!);
    await new Promise((r) => setTimeout(r, cfg.uploadSettleSeconds * 1000 + 200));

    // One pretraining; then the new encoder's embeddings are computed at once (nothing to suggest without labels).
    expect(await next()).toMatchObject({ kind: "pretrain", extend: false });
    const [encoder] = await owner.trpc.models.list.query({ projectId });
    expect(encoder).toMatchObject({ stage: "PRETRAIN", version: 1 });
    expect(await next()).toMatchObject({ kind: "quickSuggestions", encoderVersionId: encoder!.id });
    expect(await next()).toMatchObject({ kind: "wait", reason: expect.stringContaining("waiting for labels") });
    expect(added(0)).toEqual([]);

    // 20 labels (5 a class): the next decision is a quick refresh, before the fine-tune that is now due as well.
    await interval();
    let mark = live.length;
    let t0 = performance.now();
    await label(0, 5);
    expect(await next()).toMatchObject({ kind: "quickSuggestions", reason: "labels changed" });
    await waitFor(() => added(mark).reduce((n, e) => n + e.data.items.length, 0) === 100);
    const firstMs = performance.now() - t0;
    for (const e of added(mark)) {
      expect(e.data.modelVersionId).toBe(encoder!.id);
      expect(e.data.source).toMatchObject({ kind: "quick", features: expect.stringMatching(/^(encoder|pixels)$/), head: expect.stringMatching(/^(knn|linear)$/), cvAccuracy: expect.any(Number) });
      expect(e.data.source!.trainLabels).toBeGreaterThanOrEqual(10);
    }
    const first = await queue();
    expect(first.total).toBe(100);
    expect(first.items.every((s) => s.modelVersionId === encoder!.id && s.modelVersion.stage === "PRETRAIN")).toBe(true);
    // No fine-tune happened: the PRETRAIN version is still the only one.
    expect((await owner.trpc.models.list.query({ projectId })).map((m) => m.stage)).toEqual(["PRETRAIN"]);
    // The same embeddings went to the server (issue 17): every image, from this encoder, so "more like this" answers.
    expect(await t.db.prisma.imageEmbedding.count({ where: { projectId, modelVersionId: encoder!.id } })).toBe(120);
    const alike = await owner.trpc.images.list.query({ projectId, filter: { status: "all", classId: null, search: "", similarTo: first.items[0]!.imageId } });
    expect(alike.total).toBe(119);
    expect(alike.items.map((i) => alike.similarity![i.id]!)).toEqual([...alike.items.map((i) => alike.similarity![i.id]!)].sort((a, b) => b - a));
    // And the embedding map (issue 17, item 4): every image placed from this encoder, spread over the 0-1 square.
    const map = await owner.trpc.images.map.query({ projectId });
    expect(map).toMatchObject({ modelVersionId: encoder!.id, missing: 0 });
    expect(map.ids).toHaveLength(120);
    expect(map.xy.every((v) => v >= 0 && v <= 1)).toBe(true);
    const span = (axis: number) => {
      const v = map.xy.filter((_, k) => k % 2 === axis);
      return Math.max(...v) - Math.min(...v);
    };
    // The layout keeps its aspect ratio: its longer side spans 90% of the square.
    expect(Math.max(span(0), span(1))).toBeCloseTo(0.9, 3);
    expect(logs.some((l) => /embedding map: 120 images laid out/.test(l))).toBe(true);
    // Near-duplicate groups were looked for among the same images (Fashion-MNIST's first 120 hold none planted).
    await waitFor(() => logs.some((l) => /near-duplicates: \d+ groups among 120 images/.test(l)));
    // Four very different kinds of clothing, 16 training labels: chance is 25%. An encoder of 20 steps embeds them
    // worse than their pixels (its kNN read 42-71% here), so the head keeps the pixels unless the embeddings
    // cross-validate better beyond the noise of 16 labels: 89-93% in three runs.
    expect(first.accuracy).toBeGreaterThan(0.6);
    // The same labels again: nothing to refresh, the fine-tune runs next (it is paused straight away here).
    expect((await trainer.plan()).action).toMatchObject({ kind: "finetune", reason: "first fine-tune" });

    // 20 more labels: a refresh on more labels; the suggestions that change do so in place (same ids, new class or
    // confidence), the others stay as they were, and none is left for a labelled image.
    await interval();
    mark = live.length;
    let logMark = logs.length;
    t0 = performance.now();
    await label(5, 10);
    expect(await next()).toMatchObject({ kind: "quickSuggestions", reason: "labels changed" });
    const [secondRefresh] = refreshesSince(logMark);
    expect(secondRefresh).toMatchObject({ unlabelled: 80 });
    expect(secondRefresh!.trainLabels).toBeGreaterThan(added(0)[0]!.data.source!.trainLabels);
    await waitFor(() => added(mark).reduce((n, e) => n + e.data.items.length, 0) === secondRefresh!.posted);
    const secondMs = performance.now() - t0;
    const second = await queue();
    expect(second.total).toBe(80);
    const refreshed = added(mark).flatMap((e) => e.data.items);
    for (const s of refreshed) {
      const before = first.byImage.get(s.imageId)!;
      expect(s.id).toBe(before.id);
      expect(second.byImage.get(s.imageId)).toMatchObject({ id: s.id, classId: s.classId, confidence: s.confidence });
      expect(s.classId !== before.classId || s.confidence !== before.confidence).toBe(true);
    }
    const changed = new Set(refreshed.map((s) => s.imageId));
    for (const s of second.items.filter((x) => !changed.has(x.imageId))) {
      expect(s).toMatchObject({ id: first.byImage.get(s.imageId)!.id, classId: first.byImage.get(s.imageId)!.classId, confidence: first.byImage.get(s.imageId)!.confidence });
    }
    expect(added(mark).every((e) => e.data.source!.trainLabels === secondRefresh!.trainLabels)).toBe(true);

    // While a (long) fine-tune runs, 8 more labels: fresh suggestions arrive between its steps, before it ends.
    const running = trainer.runNext(lease, shutdown.signal);
    await waitFor(() => live.some((e) => e.type === "training.progress" && e.data.stage === "finetune" && e.data.status === "RUNNING"), 30_000);
    mark = live.length;
    logMark = logs.length;
    t0 = performance.now();
    await label(10, 12);
    // The labels go in one class at a time, so a refresh between steps may come after some of them and another
    // after the rest.
    await waitFor(() => refreshesSince(logMark).some((r) => r.unlabelled === 72), 20_000);
    const during = refreshesSince(logMark);
    expect(during.find((r) => r.unlabelled === 72)!.trainLabels).toBeGreaterThan(secondRefresh!.trainLabels);
    await waitFor(() => added(mark).reduce((n, e) => n + e.data.items.length, 0) === during.reduce((n, r) => n + r.posted, 0));
    const duringMs = performance.now() - t0;
    expect(added(mark).every((e) => e.data.modelVersionId === encoder!.id)).toBe(true);
    expect(live.some((e) => e.type === "training.progress" && e.data.stage === "finetune" && e.data.status === "DONE")).toBe(false);
    expect((await member.trpc.pseudoLabels.list.query({ projectId, limit: 1 })).total).toBe(72);
    await owner.trpc.training.pause.mutate({ projectId });
    await expect(running).rejects.toBeInstanceOf(StageInterrupted);
    expect((await owner.trpc.models.list.query({ projectId })).map((m) => m.stage)).toEqual(["PRETRAIN"]);

    console.log(
      `quick suggestions: ${(firstMs / 1000).toFixed(1)} s from 20 labels to 100 suggestions (accuracy ${(first.accuracy * 100).toFixed(0)}%), ` +
        `${(secondMs / 1000).toFixed(1)} s after 20 more (${refreshed.length} changed, accuracy ${(second.accuracy * 100).toFixed(0)}%), ` +
        `${(duringMs / 1000).toFixed(1)} s during a fine-tune`,
    );
  });
});
