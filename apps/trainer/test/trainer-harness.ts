// The trainer seen from outside, for the fault and restart tests: a real web server on PGlite (apps/web's test
// harness) holding a project of generated images, and trainers as real child processes (node --import tsx
// apps/trainer/src/main.ts), signalled with child.kill like a terminal or a supervisor would.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { png } from "@fewlabel/web/testing/fixtures";
import { type TestServer, TestUser } from "@fewlabel/web/testing";
import { call, connect } from "@fewlabel/web/testing/realtime";
import { createTrainerApi, type TrainerApi } from "../src/api-client";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export interface TrainerProject {
  owner: TestUser;
  projectId: string;
  /** A project trainer token, and the trainer api with it (what a test checks checkpoints and leases with). */
  token: string;
  api: TrainerApi;
  classIds: string[];
  status(): ReturnType<TestUser["trpc"]["training"]["status"]["query"]>;
}

/** An owner's project with classes "a" and "b" and `images` generated 28 px grey PNGs. */
export async function createTrainerProject(t: TestServer, o: { images: number; name?: string; ownerEmail?: string }): Promise<TrainerProject> {
  const owner = await TestUser.signUp(t.baseUrl, o.ownerEmail ?? "owner@example.com");
  const { id: projectId } = await owner.trpc.projects.create.mutate({
    name: o.name ?? "Trainer",
    classes: [
      { name: "a", hotkey: "1" },
      { name: "b", hotkey: "2" },
    ],
  });
  const { uploadId } = await owner.trpc.uploads.start.mutate({ projectId });
  const files = await Promise.all(Array.from({ length: o.images }, async (_, i) => ({ path: `img${i}.png`, data: await png(i, 28, 1) })));
  const up = await owner.uploadFiles(uploadId, files);
  if (!("accepted" in up.body) || up.body.accepted !== o.images) throw new Error(`upload failed: ${JSON.stringify(up.body)}`);
  // As the browser does when its last file is sent: the trainer waits for uploads in progress.
  await owner.trpc.uploads.finish.mutate({ projectId, uploadId });
  const { token } = await owner.trpc.training.createToken.mutate({ projectId, name: "child" });
  const classIds = (await owner.trpc.classes.list.query({ projectId })).map((c) => c.id);
  return { owner, projectId, token, api: createTrainerApi(t.baseUrl, token), classIds, status: () => owner.trpc.training.status.query({ projectId }) };
}

/** Labels the first `perClass` images of the project with each class in turn, as an annotator does. */
export async function labelImages(t: TestServer, p: TrainerProject, perClass: number): Promise<void> {
  const ids = (await p.owner.trpc.images.list.query({ projectId: p.projectId, limit: 1000 })).items.map((i) => i.id);
  const socket = await connect(t.baseUrl, p.owner.cookie);
  try {
    await call(socket, "project:join", { projectId: p.projectId });
    for (const [c, classId] of p.classIds.entries()) {
      const imageIds = ids.slice(c * perClass, (c + 1) * perClass);
      const ack = await call(socket, "label:setMany", { projectId: p.projectId, imageIds, classId, clientLabelId: crypto.randomUUID() });
      if (!ack.ok) throw new Error(`labelling failed: ${JSON.stringify(ack)}`);
    }
  } finally {
    socket.close();
  }
}

/** Trainer child processes with their output; `killAll` in afterAll. */
export class TrainerProcesses {
  private readonly logs = new Map<ChildProcess, string[]>();

  start(env: Record<string, string>): ChildProcess {
    const child = spawn(process.execPath, ["--import", "tsx", "apps/trainer/src/main.ts"], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    this.watch(child);
    return child;
  }

  /** Collects the output of a trainer started elsewhere (e.g. by the web server), when it is piped. */
  watch(child: ChildProcess): void {
    const log: string[] = [];
    this.logs.set(child, log);
    child.stdout?.on("data", (d: Buffer) => log.push(d.toString()));
    child.stderr?.on("data", (d: Buffer) => log.push(d.toString()));
  }

  /** One trainer's output, or every trainer's. */
  output(child?: ChildProcess): string {
    return child ? (this.logs.get(child) ?? []).join("") : [...this.logs.values()].map((l) => l.join("")).join("\n");
  }

  killAll(): void {
    for (const c of this.logs.keys()) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  }
}

/** The exit code of a child (null when a signal ended it). */
export const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(child.exitCode) : child.once("exit", (code) => resolve(code))));

/** Polls `probe` until it answers something (not undefined/null/false); fails after `timeoutMs` saying what it waited for. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
