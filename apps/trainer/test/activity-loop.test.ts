// The trainer's main loop telling people what it does, with the trainer as a real child process polling every 200 ms:
// a decision that stays the same over many polls is announced once; a new one (an owner pauses) is announced at once;
// when the trainer stops and hands its lease back, the project shows no activity. No model is trained here (too few
// images), so this costs a trainer start and a few seconds.
import type { ProjectEvent } from "@fewlabel/realtime";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { startTestServer, type TestServer } from "@fewlabel/web/testing";
import { call, collectEvents, connect } from "@fewlabel/web/testing/realtime";
import { tinyConfig, tinyEnv } from "./tiny-config";
import { createTrainerProject, exited, TrainerProcesses, type TrainerProject, until } from "./trainer-harness";

describe("trainer activity from main's loop", () => {
  let t: TestServer;
  let p: TrainerProject;
  const trainers = new TrainerProcesses();

  beforeAll(async () => {
    t = await startTestServer("pglite");
    p = await createTrainerProject(t, { images: 5, name: "Activity" });
  });
  afterAll(async () => {
    trainers.killAll();
    await t?.close();
  });

  it("announces a decision once over many polls, and a changed one at once", { timeout: 120_000 }, async () => {
    onTestFailed(() => console.log(trainers.output()));
    const live = await connect(t.baseUrl, p.owner.cookie);
    const events = collectEvents(live);
    await call(live, "project:join", { projectId: p.projectId });
    const activities = () => events.filter((e): e is Extract<ProjectEvent, { type: "training.activity" }> => e.type === "training.activity").map((e) => `${e.data.kind}: ${e.data.reason}`);

    const trainer = trainers.start({ ...tinyEnv(tinyConfig(t.baseUrl, p.token, { minImages: 32 })), FEWLABEL_TF_BACKEND: "wasm" });
    // Its first word may be about the upload settling (the images arrived a moment ago); then it waits for images.
    await until("the trainer waiting for images", async () => (await p.status()).activity?.reason === "for images (5 of 32)");
    expect((await p.status()).activity).toMatchObject({ kind: "wait", reason: "for images (5 of 32)" });
    const said = activities().length;
    expect(activities()[said - 1]).toBe("wait: for images (5 of 32)");
    // Ten polls later it has not said it again.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(activities()).toHaveLength(said);

    await p.owner.trpc.training.pause.mutate({ projectId: p.projectId });
    await until("the pause announced", () => activities().length === said + 1);
    expect(activities()[said]).toBe("paused: an owner paused training");
    expect((await p.status()).activity).toMatchObject({ kind: "paused" });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(activities()).toHaveLength(said + 1);

    trainer.kill("SIGTERM");
    expect(await exited(trainer)).toBe(0);
    expect(await p.status()).toMatchObject({ trainer: null, activity: null });
    live.close();
  });
});
