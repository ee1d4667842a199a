// Faults, with the trainer as a real child process (node --import tsx apps/trainer/src/main.ts): kill -9 it in the
// middle of pretraining, check that labelling goes on and nothing of the project is lost, restart it, and check it
// resumes from its last checkpoint (a run starting at step > 0) once the dead trainer's lease has lapsed. Owners
// pause and resume it (it continues at the step where it paused). A SIGTERM then stops it cleanly: it checkpoints
// where it is and releases the lease.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { png } from "../../web/test/fixtures";
import { startTestServer, type TestServer, TestUser } from "../../web/test/harness";
import { call, connect, waitFor } from "../../web/test/realtime-harness";
import { createTrainerApi, type TrainerApi } from "../src/api-client";
import { peekCheckpoint } from "../src/checkpoints";
import { tinyConfig, tinyEnv } from "./tiny-config";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

describe("trainer faults", () => {
  let t: TestServer;
  let owner: TestUser;
  let projectId: string;
  let api: TrainerApi;
  let env: Record<string, string>;
  const children: ChildProcess[] = [];
  const output: string[] = [];

  function startTrainer(): ChildProcess {
    const child = spawn(process.execPath, ["--import", "tsx", "apps/trainer/src/main.ts"], { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.on("data", (d: Buffer) => output.push(d.toString()));
    child.stderr!.on("data", (d: Buffer) => output.push(d.toString()));
    children.push(child);
    return child;
  }
  const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once("exit", (code) => resolve(code))));
  const status = () => owner.trpc.training.status.query({ projectId });

  beforeAll(async () => {
    t = await startTestServer("pglite");
    owner = await TestUser.signUp(t.baseUrl, "owner@example.com");
    ({ id: projectId } = await owner.trpc.projects.create.mutate({ name: "Faults", classes: [{ name: "a", hotkey: "1" }, { name: "b", hotkey: "2" }] }));
    const { uploadId } = await owner.trpc.uploads.start.mutate({ projectId });
    const files = await Promise.all(Array.from({ length: 40 }, async (_, i) => ({ path: `img${i}.png`, data: await png(i, 28, 1) })));
    expect((await owner.uploadFiles(uploadId, files)).body).toMatchObject({ accepted: 40 });
    const { token } = await owner.trpc.training.createToken.mutate({ projectId, name: "child" });
    api = createTrainerApi(t.baseUrl, token);
    // Long pretraining with frequent checkpoints; a 3 s lease so the restarted trainer need not wait long.
    env = { ...tinyEnv(tinyConfig(t.baseUrl, token, { pretrainSteps: 5000, checkpointEvery: 5, leaseSeconds: 3, minImages: 8 })), FEWLABEL_TF_BACKEND: "wasm" };
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    await t?.close();
  });

  it("resumes from its checkpoint after kill -9 and after a pause, without losing any of the project's data", { timeout: 120_000 }, async () => {
    const first = startTrainer();
    // Wait for a checkpoint and some steps beyond it.
    let firstRun = "";
    await waitFor(() => output.join("").includes("starts of 5000"), 60_000);
    for (;;) {
      const s = await status();
      const ckpt = await t.db.prisma.trainingCheckpoint.count({ where: { projectId, slot: "pretrain" } });
      if (s.current && ckpt > 0 && s.current.step >= 12) {
        firstRun = s.current.runId;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const before = { images: await owner.trpc.images.stats.query({ projectId }), events: await t.db.prisma.projectEvent.count({ where: { projectId } }) };
    first.kill("SIGKILL");
    await exited(first);

    // The dead trainer's checkpoint is on the server; labelling goes on without it.
    const saved = await peekCheckpoint<{ done: boolean }>(api, projectId, "pretrain");
    expect(saved!.info).toMatchObject({ stage: "pretrain", extra: { done: false } });
    expect(saved!.info.nextStep).toBeGreaterThanOrEqual(5);
    expect(saved!.info.nextStep % 5).toBe(0);
    const labeller = await connect(t.baseUrl, owner.cookie);
    await call(labeller, "project:join", { projectId });
    const claim = await call(labeller, "image:claim", { projectId });
    const cls = (await owner.trpc.classes.list.query({ projectId }))[0]!;
    expect(await call(labeller, "label:set", { projectId, imageId: claim.image.id, classId: cls.id, clientLabelId: crypto.randomUUID() })).toMatchObject({ ok: true });
    labeller.close();
    expect((await status()).current).toMatchObject({ runId: firstRun, status: "RUNNING" });

    // Restart: it takes over once the lease lapsed and resumes at the checkpoint's step.
    const second = startTrainer();
    let resumed: Awaited<ReturnType<typeof status>>["current"] = null;
    await waitFor(() => output.join("").split("resumes at step").length > 1, 60_000);
    for (;;) {
      resumed = (await status()).current;
      if (resumed && resumed.runId !== firstRun && resumed.step > resumed.startStep) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(resumed.startStep).toBe(saved!.info.nextStep);
    expect(resumed.startStep).toBeGreaterThan(0);
    const runs = (await status()).recent;
    expect(runs.find((r) => r.runId === firstRun)).toMatchObject({ status: "FAILED" });

    // Nothing of the project was lost: images, their files, the labels and the change log are all there.
    const after = await owner.trpc.images.stats.query({ projectId });
    expect(after).toMatchObject({ total: before.images.total, labelled: before.images.labelled + 1 });
    expect(await t.db.prisma.projectEvent.count({ where: { projectId } })).toBeGreaterThan(before.events);
    for (const img of (await owner.trpc.images.list.query({ projectId })).items) {
      expect((await owner.fetch(`/api/images/${img.id}/training`, { method: "HEAD" })).status).toBe(200);
    }

    // Owners pause: the trainer checkpoints at the step it reached and keeps the lease; resume continues from there.
    await owner.trpc.training.pause.mutate({ projectId });
    let paused: Awaited<ReturnType<typeof status>> | undefined;
    for (;;) {
      paused = await status();
      if (paused.current?.status === "PAUSED") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(paused.current!.runId).toBe(resumed.runId);
    expect((await peekCheckpoint(api, projectId, "pretrain"))!.info.nextStep).toBe(paused.current!.step);
    expect(paused.trainer).toMatchObject({ holder: "test trainer" });
    await owner.trpc.training.resume.mutate({ projectId });
    for (;;) {
      resumed = (await status()).current;
      if (resumed && resumed.runId !== paused.current!.runId && resumed.step > resumed.startStep) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(resumed.startStep).toBe(paused.current!.step);

    // SIGTERM: a checkpoint where it stands, the run paused, the lease released.
    second.kill("SIGTERM");
    expect(await exited(second)).toBe(0);
    const final = await peekCheckpoint<{ done: boolean }>(api, projectId, "pretrain");
    expect(final!.info.nextStep).toBeGreaterThan(resumed.startStep);
    expect((await status()).current).toMatchObject({ runId: resumed.runId, status: "PAUSED" });
    expect(await t.db.prisma.trainerLease.count({ where: { projectId } })).toBe(0);
  });
});
