// A trainer that serves every project (the instance token `npm start` mints) keeps in memory only the projects it
// still works on: when a project is deleted, the trainer frees what it held of it and goes on with the others.
import { mintLocalTrainerToken } from "@fewlabel/api/trainer-tokens";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { startTestServer, type TestServer } from "@fewlabel/web/testing";
import { tinyConfig, tinyEnv } from "./tiny-config";
import { createTrainerProject, TrainerProcesses, type TrainerProject, until } from "./trainer-harness";

describe("a trainer forgets deleted projects", () => {
  let t: TestServer;
  let kept: TrainerProject;
  let doomed: TrainerProject;
  const trainers = new TrainerProcesses();

  beforeAll(async () => {
    t = await startTestServer("pglite");
    kept = await createTrainerProject(t, { images: 5, name: "Kept" });
    doomed = await createTrainerProject(t, { images: 5, name: "Doomed", ownerEmail: "other-owner@example.com" });
  });
  afterAll(async () => {
    trainers.killAll();
    await t?.close();
  });

  it("frees a deleted project and keeps serving the rest", { timeout: 120_000 }, async () => {
    onTestFailed(() => console.log(trainers.output()));
    const { token } = await mintLocalTrainerToken(t.db.prisma);
    const trainer = trainers.start({ ...tinyEnv(tinyConfig(t.baseUrl, token, { minImages: 32, pollIntervalMs: 200 })), FEWLABEL_TF_BACKEND: "wasm" });
    // Both projects are held and waited on (too few images to train).
    await until("both projects held", async () => (await kept.status()).activity?.reason === "for images (5 of 32)" && (await doomed.status()).activity?.reason === "for images (5 of 32)");

    await doomed.owner.trpc.projects.delete.mutate({ projectId: doomed.projectId, confirmName: "Doomed" });
    await until("the trainer to forget the deleted project", () => trainers.output(trainer).includes(`project ${doomed.projectId}: no longer listed`));
    expect(trainers.output(trainer)).not.toMatch(new RegExp(`project ${kept.projectId}: .*no longer kept`));
    // The other project is still served: a pause there is heard and announced.
    await kept.owner.trpc.training.pause.mutate({ projectId: kept.projectId });
    await until("the kept project's pause announced", async () => (await kept.status()).activity?.kind === "paused");
    expect((await kept.status()).trainer).not.toBeNull();
  });
});
