// Faults, with the trainer as a real child process (node --import tsx apps/trainer/src/main.ts): kill -9 it in the
// middle of pretraining, check that labelling goes on and nothing of the project is lost, that the dead trainer's run
// stops showing as running once another trainer claims the lease, restart it, and check it resumes from its last
// checkpoint (a run starting at step > 0) once the dead trainer's lease has lapsed. Owners pause and resume it (it
// continues at the step where it paused). A SIGTERM, delivered twice as a stop often is, then stops it cleanly: it
// checkpoints where it is and releases the lease.
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { startTestServer, type TestServer } from "@fewlabel/web/testing";
import { call, connect, waitFor } from "@fewlabel/web/testing/realtime";
import { peekCheckpoint } from "../src/checkpoints";
import { tinyConfig, tinyEnv } from "./tiny-config";
import { createTrainerProject, exited, TrainerProcesses, type TrainerProject, until } from "./trainer-harness";

describe("trainer faults", () => {
  let t: TestServer;
  let p: TrainerProject;
  let env: Record<string, string>;
  const trainers = new TrainerProcesses();
  const startTrainer = () => trainers.start(env);

  beforeAll(async () => {
    t = await startTestServer("pglite");
    p = await createTrainerProject(t, { images: 40, name: "Faults" });
    // Long pretraining with frequent checkpoints; a 3 s lease so the restarted trainer need not wait long.
    env = { ...tinyEnv(tinyConfig(t.baseUrl, p.token, { pretrainSteps: 5000, checkpointEvery: 5, leaseSeconds: 3, minImages: 8 })), FEWLABEL_TF_BACKEND: "wasm" };
  });
  afterAll(async () => {
    trainers.killAll();
    await t?.close();
  });

  it("resumes from its checkpoint after kill -9 and after a pause, without losing any of the project's data", { timeout: 120_000 }, async () => {
    onTestFailed(() => console.log(trainers.output()));
    const { owner, projectId } = p;
    const first = startTrainer();
    // Wait for a checkpoint and some steps beyond it.
    let firstRun = "";
    await waitFor(() => trainers.output(first).includes("starts of 5000"), 60_000);
    for (;;) {
      const s = await p.status();
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
    const saved = await peekCheckpoint<{ done: boolean }>(p.api, projectId, "pretrain");
    expect(saved!.info).toMatchObject({ stage: "pretrain", extra: { done: false } });
    expect(saved!.info.nextStep).toBeGreaterThanOrEqual(5);
    expect(saved!.info.nextStep % 5).toBe(0);
    const labeller = await connect(t.baseUrl, owner.cookie);
    await call(labeller, "project:join", { projectId });
    const claim = await call(labeller, "image:claim", { projectId });
    const cls = (await owner.trpc.classes.list.query({ projectId }))[0]!;
    expect(await call(labeller, "label:set", { projectId, imageId: claim.image.id, classId: cls.id, clientLabelId: crypto.randomUUID() })).toMatchObject({ ok: true });
    labeller.close();
    expect((await p.status()).current).toMatchObject({ runId: firstRun, status: "RUNNING" });

    // Once the dead trainer's lease lapsed, whoever claims it next shows its run as what it is: interrupted, not
    // running. (Here a claim by hand, given back at once.)
    const probe = await until("the dead trainer's lease to lapse", async () => {
      const c = await p.api.trpc.claimLease.mutate({ projectId, holder: "probe", ttlSeconds: 2 });
      return c.ok ? c : null;
    });
    expect((await p.status()).current).toMatchObject({ runId: firstRun, status: "PAUSED", error: expect.stringMatching(/^Interrupted/) });
    await p.api.trpc.releaseLease.mutate({ projectId, leaseId: probe.leaseId });

    // Restart: it takes over and resumes at the checkpoint's step.
    const second = startTrainer();
    let resumed: Awaited<ReturnType<typeof p.status>>["current"] = null;
    await waitFor(() => trainers.output(second).includes("resumes at step"), 60_000);
    for (;;) {
      resumed = (await p.status()).current;
      if (resumed && resumed.runId !== firstRun && resumed.step > resumed.startStep) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(resumed.startStep).toBe(saved!.info.nextStep);
    expect(resumed.startStep).toBeGreaterThan(0);
    const runs = (await p.status()).recent;
    expect(runs.find((r) => r.runId === firstRun)).toMatchObject({ status: "PAUSED", finishedAt: expect.any(Date) });

    // Nothing of the project was lost: images, their files, the labels and the change log are all there.
    const after = await owner.trpc.images.stats.query({ projectId });
    expect(after).toMatchObject({ total: before.images.total, labelled: before.images.labelled + 1 });
    expect(await t.db.prisma.projectEvent.count({ where: { projectId } })).toBeGreaterThan(before.events);
    for (const img of (await owner.trpc.images.list.query({ projectId })).items) {
      expect((await owner.fetch(`/api/images/${img.id}/training`, { method: "HEAD" })).status).toBe(200);
    }

    // Owners pause: the trainer checkpoints at the step it reached and keeps the lease; resume continues from there.
    await owner.trpc.training.pause.mutate({ projectId });
    let paused: Awaited<ReturnType<typeof p.status>> | undefined;
    for (;;) {
      paused = await p.status();
      if (paused.current?.status === "PAUSED") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(paused.current!.runId).toBe(resumed.runId);
    expect((await peekCheckpoint(p.api, projectId, "pretrain"))!.info.nextStep).toBe(paused.current!.step);
    expect(paused.trainer).toMatchObject({ holder: "test trainer" });
    await owner.trpc.training.resume.mutate({ projectId });
    for (;;) {
      resumed = (await p.status()).current;
      if (resumed && resumed.runId !== paused.current!.runId && resumed.step > resumed.startStep) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(resumed.startStep).toBe(paused.current!.step);

    // SIGTERM, and its copy (a supervisor and the process group both signal): a checkpoint where it stands, the run
    // paused at that step, the lease released.
    second.kill("SIGTERM");
    second.kill("SIGTERM");
    expect(await exited(second)).toBe(0);
    const final = await peekCheckpoint<{ done: boolean }>(p.api, projectId, "pretrain");
    expect(final!.info.nextStep).toBeGreaterThan(resumed.startStep);
    expect((await p.status()).current).toMatchObject({ runId: resumed.runId, status: "PAUSED", step: final!.info.nextStep });
    expect(await t.db.prisma.trainerLease.count({ where: { projectId } })).toBe(0);
  });
});
