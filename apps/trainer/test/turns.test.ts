// One trainer, two projects: while one pretrains for a long budget, new labels in the other get a fine-tune within
// seconds of the first project's turn; the long pretraining stops at a checkpoint, says why, and continues from
// there. Real server, real trainer processes (the instance token `npm start` mints), tiny budgets.
import { mintLocalTrainerToken } from "@fewlabel/api/trainer-tokens";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { startTestServer, type TestServer } from "@fewlabel/web/testing";
import { call, connect } from "@fewlabel/web/testing/realtime";
import { tinyConfig, tinyEnv } from "./tiny-config";
import { createTrainerProject, exited, labelImages, TrainerProcesses, type TrainerProject, until } from "./trainer-harness";

describe("fair turns across projects", () => {
  let t: TestServer;
  let labelled: TrainerProject;
  const trainers = new TrainerProcesses();

  beforeAll(async () => {
    t = await startTestServer("pglite");
    labelled = await createTrainerProject(t, { images: 40, name: "Labelled" });
    await labelImages(t, labelled, 6);
  });
  afterAll(async () => {
    trainers.killAll();
    await t?.close();
  });

  const fineTunes = async (p: TrainerProject) => (await p.owner.trpc.models.list.query({ projectId: p.projectId })).filter((m) => m.stage === "FINETUNE").length;

  it("a long pretraining gives way to another project's fine-tune and then continues from its checkpoint", { timeout: 240_000 }, async () => {
    onTestFailed(() => console.log(trainers.output()));
    const { token } = await mintLocalTrainerToken(t.db.prisma);
    const env = (o: Parameters<typeof tinyConfig>[2]) => ({
      ...tinyEnv(tinyConfig(t.baseUrl, token, { minImages: 8, uploadSettleSeconds: 0, pollIntervalMs: 200, ...o })),
      FEWLABEL_TF_BACKEND: "wasm",
    });

    // The labelled project gets its first teacher from a trainer with short stages.
    const first = trainers.start(env({ pretrainSteps: 5, finetuneSteps: 5, distilSteps: 5 }));
    await until("a first fine-tune of the labelled project", async () => (await fineTunes(labelled)) >= 1, 120_000);
    first.kill("SIGTERM");
    expect(await exited(first)).toBe(0);

    // A second project arrives, and a trainer whose pretraining would run for hours takes both.
    const big = await createTrainerProject(t, { images: 40, name: "Big", ownerEmail: "big-owner@example.com" });
    const before = await fineTunes(labelled);
    const second = trainers.start(env({ pretrainSteps: 100_000, checkpointEvery: 10_000, finetuneSteps: 5, distilSteps: 5, turnSeconds: 2 }));
    await until(
      "the long pretraining under way",
      async () => {
        const c = (await big.status()).current;
        return c?.stage === "pretrain" && c.status === "RUNNING" && c.step >= 3;
      },
      120_000,
    );

    // New labels in the labelled project: its fine-tune is due while the other project's pretraining runs.
    const ids = (await labelled.owner.trpc.images.list.query({ projectId: labelled.projectId, limit: 1000 })).items.map((i) => i.id);
    const socket = await connect(t.baseUrl, labelled.owner.cookie);
    await call(socket, "project:join", { projectId: labelled.projectId });
    for (const [c, classId] of labelled.classIds.entries()) {
      const ack = await call(socket, "label:setMany", { projectId: labelled.projectId, imageIds: ids.slice(20 + c * 5, 25 + c * 5), classId, clientLabelId: crypto.randomUUID() });
      expect(ack.ok).toBe(true);
    }
    socket.close();
    await until("a fine-tune of the labelled project during the other's pretraining", async () => (await fineTunes(labelled)) > before, 120_000);

    // The long pretraining stopped at a step with a checkpoint, said why, and went on from that step.
    const bigRuns = (await big.status()).recent.filter((r) => r.stage === "pretrain");
    const paused = bigRuns.find((r) => r.status === "PAUSED" && r.error?.includes("another project whose work is due"));
    expect(paused, JSON.stringify(bigRuns)).toBeDefined();
    expect(trainers.output(second)).toContain(`project ${big.projectId}: pretraining gives way to project ${labelled.projectId}`);
    const resumed = await until(
      "the long pretraining resumed from its step",
      async () => {
        const c = (await big.status()).current;
        return c?.stage === "pretrain" && c.status === "RUNNING" && c.startStep > 0 ? c : null;
      },
      120_000,
    );
    expect(resumed.startStep).toBe(paused!.step);
    if (process.env.SHOW_TRAINER_LOG) console.log(trainers.output(second));
    second.kill("SIGTERM");
    expect(await exited(second)).toBe(0);
  });
});
