// Stopping and restarting without losing work (issue 12, item 8), from outside: a real web server on PGlite and the
// trainer `npm start` runs beside it (apps/web/src/server/local-trainer.ts: a child process with an instance token
// minted at every start, named "local trainer"). Ctrl-C reaches that child twice, as the terminal's SIGINT to the
// whole process group and as the server's SIGTERM when it stops; the trainer must still checkpoint at the step it
// reached and hand its lease back, and the trainer of the next start must take the project over at once and resume
// the owner's "Fine-tune now" run from that step. A trainer killed outright loses only the steps since its last
// checkpoint: the server that saw it die ends its lease and marks its run interrupted instead of "running".
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "@fewlabel/web/testing";
import { type LocalTrainer, startLocalTrainer } from "@fewlabel/web/local-trainer";
import { peekCheckpoint } from "../src/checkpoints";
import type { TrainerConfig } from "../src/config";
import { tinyConfig, tinyEnv } from "./tiny-config";
import { createTrainerProject, exited, labelImages, type TrainerProject, until } from "./trainer-harness";

describe("stopping and restarting the local trainer", () => {
  let t: TestServer;
  let p: TrainerProject;
  const started: LocalTrainer[] = [];

  /** What `npm start` does at every start: a local trainer child with a fresh instance token. */
  async function startLocal(overrides: Partial<TrainerConfig>): Promise<LocalTrainer> {
    // A long lease: a restart that had to wait for it to lapse would show.
    const env: Record<string, string> = { ...tinyEnv(tinyConfig(t.baseUrl, "minted by the server", { minImages: 8, leaseSeconds: 60, ...overrides })), FEWLABEL_TF_BACKEND: "wasm" };
    delete env.FEWLABEL_TRAINER_NAME; // the server names it "local trainer", at every start
    const trainer = await startLocalTrainer(t.db.prisma, Number(new URL(t.baseUrl).port), { env });
    started.push(trainer);
    return trainer;
  }
  const lease = () => t.db.prisma.trainerLease.findUnique({ where: { projectId: p.projectId } });

  beforeAll(async () => {
    t = await startTestServer("pglite");
    p = await createTrainerProject(t, { images: 40, name: "Restarts" });
    await labelImages(t, p, 6);
  });
  afterAll(async () => {
    for (const trainer of started) await trainer.stop().catch(() => {});
    await t?.close();
  });

  it("after Ctrl-C under npm start, the next start takes the lease at once and resumes the owner's fine-tune at the step it stopped", { timeout: 120_000 }, async () => {
    // A first fine-tune, so that the one asked for next is due only because an owner asked.
    const first = await startLocal({ pretrainSteps: 5, finetuneSteps: 5 });
    await until("a first fine-tuned version", async () => (await p.owner.trpc.models.list.query({ projectId: p.projectId })).some((m) => m.stage === "FINETUNE"));
    await first.stop();
    expect(await lease()).toBeNull();

    await p.owner.trpc.training.start.mutate({ projectId: p.projectId });
    // Long enough not to finish, with no periodic checkpoint within reach: only the stop's own checkpoint can resume it.
    const long = { finetuneSteps: 3000, checkpointEvery: 1000 };
    const second = await startLocal(long);
    const running = await until("the requested fine-tune to run a few steps", async () => {
      const c = (await p.status()).current;
      return c?.stage === "finetune" && c.status === "RUNNING" && c.startStep === 0 && c.step >= 8 ? c : null;
    });
    const heldUntil = (await lease())!.expiresAt;

    // Ctrl-C: the terminal signals the trainer directly, and the server, stopping, sends it SIGTERM.
    const child = second.process!;
    const code = exited(child);
    child.kill("SIGINT");
    await second.stop();
    expect(await code).toBe(0);
    const stopped = (await p.status()).current!;
    expect(stopped).toMatchObject({ runId: running.runId, stage: "finetune", status: "PAUSED" });
    expect(stopped.step).toBeGreaterThanOrEqual(running.step);
    const saved = await peekCheckpoint<{ done: boolean }>(p.api, p.projectId, "finetune");
    expect(saved!.info).toMatchObject({ stage: "finetune", nextStep: stopped.step, extra: { done: false } });
    expect(await lease()).toBeNull();
    expect((await p.status()).control.fineTuneRequested).toBe(true); // the request holds until a fine-tune finishes

    // The next start: the same holder name, a new token, and no lease left to wait for.
    await startLocal(long);
    const resumed = await until("the fine-tune to resume", async () => {
      const c = (await p.status()).current;
      return c && c.runId !== running.runId && c.step > c.startStep ? c : null;
    });
    expect(resumed).toMatchObject({ stage: "finetune", status: "RUNNING", startStep: stopped.step });
    expect(resumed.startedAt.getTime()).toBeLessThan(heldUntil.getTime());
    expect((await p.status()).trainer).toMatchObject({ holder: "local trainer" });
    expect((await p.status()).recent.find((r) => r.runId === running.runId)).toMatchObject({ status: "PAUSED", finishedAt: expect.any(Date) });
  });

  it("a local trainer killed outright leaves no lease to wait for and no run shown as running", { timeout: 60_000 }, async () => {
    const trainer = started[started.length - 1]!;
    const child = trainer.process!;
    const run = (await p.status()).current!;
    expect(run.status).toBe("RUNNING");
    const heldUntil = (await lease())!.expiresAt;
    child.kill("SIGKILL");
    await exited(child);
    // The server saw its child die: the lease ends now, not when it would have lapsed.
    await until("the dead trainer's lease to end", async () => (await lease()) === null, 20_000);
    expect(Date.now()).toBeLessThan(heldUntil.getTime());
    expect((await p.status()).current).toMatchObject({ runId: run.runId, status: "PAUSED", error: expect.stringMatching(/^Interrupted/) });
    await trainer.stop();
  });

  it("keeps an owner's request for a fine-tune until one finishes, and one asked for during a run for the next", async () => {
    const { api, projectId, owner } = p;
    const control = async () => (await p.status()).control.fineTuneRequested;
    const claim = await api.trpc.claimLease.mutate({ projectId, holder: "by hand" });
    if (!claim.ok) throw new Error(`lease held by ${claim.holder}`);
    const { leaseId } = claim;
    await owner.trpc.training.start.mutate({ projectId });
    const a = await api.trpc.startRun.mutate({ projectId, leaseId, stage: "finetune", totalSteps: 10 });
    expect(await control()).toBe(true); // started is not finished
    await api.trpc.reportProgress.mutate({ projectId, leaseId, runId: a.runId, step: 10, status: "DONE" });
    expect(await control()).toBe(false);

    const b = await api.trpc.startRun.mutate({ projectId, leaseId, stage: "finetune", totalSteps: 10 });
    await new Promise((r) => setTimeout(r, 5));
    await owner.trpc.training.start.mutate({ projectId }); // asked while b runs: b does not answer it
    await api.trpc.reportProgress.mutate({ projectId, leaseId, runId: b.runId, step: 10, status: "DONE" });
    expect(await control()).toBe(true);
    const c = await api.trpc.startRun.mutate({ projectId, leaseId, stage: "pretrain", totalSteps: 10 });
    await api.trpc.reportProgress.mutate({ projectId, leaseId, runId: c.runId, step: 10, status: "DONE" });
    expect(await control()).toBe(true); // only a fine-tune answers it

    // A run its trainer never reported the end of shows as interrupted once the lease is released.
    const d = await api.trpc.startRun.mutate({ projectId, leaseId, stage: "finetune", totalSteps: 10 });
    await api.trpc.releaseLease.mutate({ projectId, leaseId });
    expect((await p.status()).current).toMatchObject({ runId: d.runId, status: "PAUSED", error: expect.stringMatching(/^Interrupted/) });
  });
});
