// Experiments on a project's own images, from the outside over real HTTP: who may list, start and cancel; one at a
// time per project; a real child process trains the `tiny` budget on uploaded Fashion-MNIST images and the results
// land in the database; a cancelled run stops and frees the project.
import { FASHION_MNIST_DIR, fashionMnistAvailable, imageAt, loadFashionMnist } from "@fewlabel/datasets";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabaseKinds } from "@fewlabel/db/testing";
import { startTestServer, type TestServer, TestUser, trpcErrorCode } from "./harness";

// Under CI a missing data set fails the test instead of skipping it: a green run means every test ran.
const available = fashionMnistAvailable() || !!process.env.CI;
if (!available) console.warn(`experiments test: SKIPPED, Fashion-MNIST not found in ${FASHION_MNIST_DIR} (apt-get install -y dataset-fashion-mnist)`);

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms = 240_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

// Access, one-at-a-time, cancel and orphans on both databases; the full training run (a child process) on PGlite only.
describe.skipIf(!available).each(testDatabaseKinds)("experiments on a project (%s)", (kind) => {
  let t: TestServer;
  let owner: TestUser, annotator: TestUser, outsider: TestUser, anonymous: TestUser;
  let projectId: string, emptyProjectId: string;

  beforeAll(async () => {
    t = await startTestServer(kind);
    owner = await TestUser.signUp(t.baseUrl, "owner@example.com");
    annotator = await TestUser.signUp(t.baseUrl, "annotator@example.com");
    outsider = await TestUser.signUp(t.baseUrl, "outsider@example.com");
    anonymous = new TestUser(t.baseUrl);
    const fm = loadFashionMnist("train", { limit: 200 });
    ({ id: projectId } = await owner.trpc.projects.create.mutate({ name: "Fashion", classes: fm.classes.map((name) => ({ name })) }));
    ({ id: emptyProjectId } = await owner.trpc.projects.create.mutate({ name: "Empty", classes: [{ name: "a" }, { name: "b" }] }));
    const { uploadId } = await owner.trpc.uploads.start.mutate({ projectId });
    const files = [{ path: "labels.csv", data: Buffer.from(["filename,label", ...Array.from(fm.labels, (l, i) => `${i}.png,"${fm.classes[l]}"`)].join("\n")) }];
    for (let i = 0; i < fm.count; i++)
      files.push({
        path: `${i}.png`,
        data: await sharp(Buffer.from(imageAt(fm, i)), { raw: { width: 28, height: 28, channels: 1 } })
          .toColourspace("b-w")
          .png()
          .toBuffer(),
      });
    const up = await owner.uploadFiles(uploadId, files);
    expect(up.body).toMatchObject({ type: "done", accepted: 200, labelled: 200 });
    const invite = await owner.trpc.invites.create.mutate({ projectId, role: "ANNOTATOR" });
    await annotator.trpc.invites.accept.mutate({ token: invite.token });
  });
  afterAll(() => t?.close());

  const ownerList = (id: string) => owner.trpc.experiments.list.query({ projectId: id });
  const start = (u: TestUser, id = projectId) => u.trpc.experiments.start.mutate({ projectId: id, budget: "tiny", labelFractions: [0.5], seed: 1 });

  it("lets owners start and cancel, members only watch, and hides the project from everyone else", async () => {
    expect(await trpcErrorCode(anonymous.trpc.experiments.list.query({ projectId }))).toBe("UNAUTHORIZED");
    expect(await trpcErrorCode(outsider.trpc.experiments.list.query({ projectId }))).toBe("NOT_FOUND");
    expect(await trpcErrorCode(start(outsider))).toBe("NOT_FOUND");
    expect(await trpcErrorCode(start(annotator))).toBe("FORBIDDEN");
    expect(await annotator.trpc.experiments.list.query({ projectId })).toEqual([]);
    expect(await trpcErrorCode(owner.trpc.experiments.start.mutate({ projectId, labelFractions: [1] }))).toBe("BAD_REQUEST");
    await expect(start(owner, emptyProjectId)).rejects.toThrow(/at least two classes/);
  });

  it.runIf(kind === "pglite")("runs the protocol in a child process, one at a time, with progress, and stores the results", { timeout: 300_000 }, async () => {
    const experiment = await start(owner);
    expect(experiment.status).toBe("RUNNING");
    expect(await trpcErrorCode(start(owner))).toBe("CONFLICT");
    expect(await trpcErrorCode(annotator.trpc.experiments.cancel.mutate({ projectId, experimentId: experiment.id }))).toBe("FORBIDDEN");
    const done = await until(
      "the experiment to finish",
      async () => (await annotator.trpc.experiments.list.query({ projectId }))[0]!,
      (e) => e.status !== "RUNNING",
    );
    expect(done.error).toBeNull();
    expect(done.status).toBe("SUCCEEDED");
    const results = done.results as {
      arms: { name: string; testAccuracy: number; labelsUsed: number; labelFraction: number }[];
      baselines: { task: string; labelFraction: number; labelsUsed: number; scores: { name: string; testAccuracy: number; correct: number; total: number }[] }[];
      testImages: number;
      trainImages: number;
    };
    // 20% of each class held out: 200 images, test ~40, train the rest.
    expect(results.testImages + results.trainImages).toBe(200);
    expect(results.testImages).toBeGreaterThanOrEqual(35);
    expect(results.arms.map((a) => a.name)).toEqual(["supervised-100%", "supervised-50%", "linear-eval", "simclr-teacher-50%", "simclr-student-50%"]);
    for (const a of results.arms) expect(a.testAccuracy).toBeGreaterThanOrEqual(0);
    expect(results.arms[0]!.labelsUsed).toBe(results.trainImages);
    // The baselines on the same labels as the arms at each fraction, scored on the same held-out images.
    expect(results.baselines.map((b) => [b.task, b.labelsUsed])).toEqual([
      ["baselines-100%", results.arms.find((a) => a.name === "supervised-100%")!.labelsUsed],
      ["baselines-50%", results.arms.find((a) => a.name === "supervised-50%")!.labelsUsed],
    ]);
    for (const b of results.baselines) {
      expect(b.scores.map((s) => s.name)).toEqual(["pixel-1nn", "pixel-5nn", "pixel-linear", "random-encoder-knn"]);
      for (const s of b.scores) expect(s.total).toBe(results.testImages);
    }
    expect(results.baselines[0]!.scores[0]!.testAccuracy).toBeGreaterThan(0.3); // pixel 1-NN on Fashion-MNIST, ~160 labels
    const progress = done.progress as { tasks: { id: string; done: boolean; testAccuracy?: number; bestBaseline?: { name: string } }[]; phase: string };
    expect(progress.phase).toBe("finished");
    expect(progress.tasks.every((task) => task.done)).toBe(true);
    expect(progress.tasks.filter((task) => task.bestBaseline).map((task) => task.id)).toEqual(["baselines-100%", "baselines-50%"]);
    expect((done.config as { inputSize: number; channels: number }).inputSize).toBe(28);
    expect((done.config as { inputSize: number; channels: number }).channels).toBe(1);
  });

  it("marks a RUNNING experiment whose server stopped (no heartbeat for minutes) as failed, with the reason", async () => {
    const ownerRow = await t.db.prisma.user.findUniqueOrThrow({ where: { email: "owner@example.com" } });
    const stale = await t.db.prisma.experiment.create({ data: { projectId: emptyProjectId, createdById: ownerRow.id, config: { budget: "tiny", seed: 0, labelFractions: [0.5] } } });
    await t.db.prisma.$executeRaw`UPDATE "Experiment" SET "updatedAt" = now() - interval '10 minutes' WHERE id = ${stale.id}`;
    const [e] = await ownerList(emptyProjectId);
    expect(e).toMatchObject({ id: stale.id, status: "FAILED", error: expect.stringMatching(/server running it stopped/) });
  });

  it("cancels a running experiment, which frees the project for the next one", { timeout: 120_000 }, async () => {
    const first = await start(owner);
    expect(await trpcErrorCode(start(owner))).toBe("CONFLICT");
    expect(await owner.trpc.experiments.cancel.mutate({ projectId, experimentId: first.id })).toEqual({ ok: true });
    expect(await trpcErrorCode(owner.trpc.experiments.cancel.mutate({ projectId, experimentId: first.id }))).toBe("NOT_FOUND");
    // One experiment at a time on this server, whatever the project: another project of the same owner waits too.
    const { id: otherId } = await owner.trpc.projects.create.mutate({ name: "Other", classes: [{ name: "a" }, { name: "b" }] });
    const { uploadId } = await owner.trpc.uploads.start.mutate({ projectId: otherId });
    const pngs = await Promise.all(
      [1, 2, 3, 4].map((v) =>
        sharp({ create: { width: 28, height: 28, channels: 3, background: { r: v * 40, g: 0, b: 0 } } })
          .png()
          .toBuffer(),
      ),
    );
    const up = await owner.uploadFiles(uploadId, [
      { path: "labels.csv", data: Buffer.from("filename,label\n1.png,a\n2.png,a\n3.png,b\n4.png,b\n") },
      ...pngs.map((data, i) => ({ path: `${i + 1}.png`, data })),
    ]);
    expect(up.body).toMatchObject({ accepted: 4, labelled: 4 });
    const second = await start(owner);
    // It runs once the cancelled one's process has gone.
    await until(
      "the second experiment to run",
      async () => (await owner.trpc.experiments.list.query({ projectId }))[0]!,
      (e) => e.id === second.id && e.status === "RUNNING",
      60_000,
    );
    // One experiment at a time on this server (and per person): another project's run waits in the queue, and
    // starts by itself when the place frees up.
    const queued = await owner.trpc.experiments.start.mutate({ projectId: otherId, budget: "tiny", labelFractions: [0.5], seed: 1 });
    expect(queued.status).toBe("QUEUED");
    expect((await owner.trpc.experiments.list.query({ projectId: otherId }))[0]).toMatchObject({ id: queued.id, status: "QUEUED", queuePosition: 1 });
    expect(await trpcErrorCode(owner.trpc.experiments.start.mutate({ projectId: otherId, budget: "tiny", labelFractions: [0.5], seed: 2 }))).toBe("CONFLICT");
    await owner.trpc.experiments.cancel.mutate({ projectId, experimentId: second.id });
    await until(
      "the queued experiment to start",
      async () => (await owner.trpc.experiments.list.query({ projectId: otherId }))[0]!,
      (e) => e.status === "RUNNING",
      60_000,
    );
    await owner.trpc.experiments.cancel.mutate({ projectId: otherId, experimentId: queued.id });
    const list = await owner.trpc.experiments.list.query({ projectId });
    expect(list.find((e) => e.id === first.id)!.status).toBe("CANCELLED");
    expect((await owner.trpc.experiments.list.query({ projectId })).filter((e) => e.status === "RUNNING")).toEqual([]);
  });
});
