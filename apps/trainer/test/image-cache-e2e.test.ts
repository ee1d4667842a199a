// The trainer's disk cache of training copies, through the real server: what one project downloaded, another
// project with the same images (the same originals, so the same training copies) reads from disk instead.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { mintLocalTrainerToken } from "@fewlabel/api/trainer-tokens";
import { afterAll, beforeAll, describe, it, onTestFailed } from "vitest";
import { startTestServer, type TestServer } from "@fewlabel/web/testing";
import { tinyConfig, tinyEnv } from "./tiny-config";
import { createTrainerProject, TrainerProcesses, until } from "./trainer-harness";

describe("the trainer's disk cache through the server", () => {
  let t: TestServer;
  let dir: string;
  const trainers = new TrainerProcesses();

  beforeAll(async () => {
    t = await startTestServer("pglite");
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "fewlabel-trainer-cache-"));
  });
  afterAll(async () => {
    trainers.killAll();
    await t?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("downloads a project's images once and reads the same images of another project from disk", { timeout: 120_000 }, async () => {
    onTestFailed(() => console.log(trainers.output()));
    await createTrainerProject(t, { images: 40, name: "First" });
    const { token } = await mintLocalTrainerToken(t.db.prisma);
    const trainer = trainers.start({
      ...tinyEnv(tinyConfig(t.baseUrl, token, { minImages: 8, uploadSettleSeconds: 0, pollIntervalMs: 200, pretrainSteps: 3, imageCache: { dir, maxBytes: 64 * 1024 * 1024 } })),
      FEWLABEL_TF_BACKEND: "wasm",
    });
    await until("the first project's images downloaded", () => trainers.output(trainer).includes("First: images: 40 downloaded in 1 request, 0 from the disk cache"));
    const second = await createTrainerProject(t, { images: 40, name: "Second", ownerEmail: "second@example.com" });
    await until("the second project's images read from disk", () => trainers.output(trainer).includes("Second: images: 0 downloaded, 40 from the disk cache"));
    await until("the second project pretrained", async () => (await second.owner.trpc.models.list.query({ projectId: second.projectId })).some((m) => m.stage === "PRETRAIN"));
  });
});
