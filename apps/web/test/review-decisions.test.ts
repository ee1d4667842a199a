// Reviewers' decisions from the outside, over real HTTP and socket.io, on PGlite and on the local PostgreSQL: who may
// decide, a decision settles a tie whatever later votes say (through both vote writers: the socket's grouped writer
// and the bulk path), the history records it, undo takes it back, and the review queue shows it.
import { randomUUID } from "node:crypto";
import type { ProjectEvent } from "@fewlabel/realtime";
import { testDatabaseKinds } from "@fewlabel/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { png } from "./fixtures";
import { startTestServer, type TestServer, TestUser, trpcErrorCode } from "./harness";
import { call, collectEvents, connect, type LiveSocket, waitFor } from "./realtime-harness";

describe.each(testDatabaseKinds)("review decisions on %s", (kind) => {
  let t: TestServer;
  let owner: TestUser;
  let reviewer: TestUser;
  const annotators: TestUser[] = [];
  let outsider: TestUser;
  let projectId: string;
  let imageIds: string[];
  let cat: string;
  let dog: string;
  const sockets: LiveSocket[] = [];
  const open = async (u: TestUser) => {
    const s = await connect(t.baseUrl, u.cookie);
    sockets.push(s);
    return s;
  };
  const label = async (u: TestUser, imageId: string, classId: string) =>
    expect(await call(await open(u), "label:set", { projectId, imageId, classId, unsure: false, clientLabelId: randomUUID() })).toMatchObject({ ok: true });
  const image = (id: string) => t.db.prisma.image.findUniqueOrThrow({ where: { id }, select: { labelClassId: true, disagreement: true, voteCount: true, labelledById: true } });
  const idOf = async (u: TestUser) => (await u.trpc.auth.me.query())!.id;

  beforeAll(async () => {
    t = await startTestServer(kind);
    owner = await TestUser.signUp(t.baseUrl, "owner@example.com");
    reviewer = await TestUser.signUp(t.baseUrl, "reviewer@example.com", "Rita Reviewer");
    for (const n of ["ann", "bob", "cid"]) annotators.push(await TestUser.signUp(t.baseUrl, `${n}@example.com`));
    outsider = await TestUser.signUp(t.baseUrl, "outsider@example.com");
    const p = await owner.trpc.projects.create.mutate({
      name: "Pets",
      classes: [
        { name: "cat", hotkey: "1" },
        { name: "dog", hotkey: "2" },
      ],
    });
    projectId = p.id;
    const members: [TestUser, "REVIEWER" | "ANNOTATOR"][] = [[reviewer, "REVIEWER"], ...annotators.map((a): [TestUser, "ANNOTATOR"] => [a, "ANNOTATOR"])];
    for (const [u, role] of members) {
      const invite = await owner.trpc.invites.create.mutate({ projectId, role });
      await u.trpc.invites.accept.mutate({ token: invite.token });
    }
    const { uploadId } = await owner.trpc.uploads.start.mutate({ projectId });
    await owner.uploadFiles(uploadId, await Promise.all([0, 1, 2].map(async (i) => ({ path: `pet-${i}.png`, data: await png(70 + i) }))));
    imageIds = (await owner.trpc.images.list.query({ projectId, filter: { sort: "name" } })).items.map((i) => i.id);
    const classes = await owner.trpc.classes.list.query({ projectId });
    cat = classes.find((c) => c.name === "cat")!.id;
    dog = classes.find((c) => c.name === "dog")!.id;
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await t?.close();
  });

  it("lets reviewers and owners decide, and no one else", async () => {
    const [ann] = annotators;
    const imageId = imageIds[2]!;
    expect(await trpcErrorCode(ann!.trpc.review.decide.mutate({ projectId, imageId, classId: cat }))).toBe("FORBIDDEN");
    expect(await trpcErrorCode(outsider.trpc.review.decide.mutate({ projectId, imageId, classId: cat }))).toBe("NOT_FOUND");
    expect(await trpcErrorCode(new TestUser(t.baseUrl).trpc.review.decide.mutate({ projectId, imageId, classId: cat }))).toBe("UNAUTHORIZED");
    expect(await t.db.prisma.vote.count({ where: { imageId } })).toBe(0);
    // A class or an image of another project is not this project's.
    const other = await owner.trpc.projects.create.mutate({ name: "Other", classes: [{ name: "bird", hotkey: "1" }] });
    const bird = (await owner.trpc.classes.list.query({ projectId: other.id }))[0]!.id;
    expect(await trpcErrorCode(reviewer.trpc.review.decide.mutate({ projectId, imageId, classId: bird }))).toBe("NOT_FOUND");
    expect(await trpcErrorCode(owner.trpc.review.decide.mutate({ projectId: other.id, imageId, classId: bird }))).toBe("NOT_FOUND");
    expect(await trpcErrorCode(owner.trpc.review.decide.mutate({ projectId, imageId, classId: dog }))).toBe("OK");
    expect(await image(imageId)).toMatchObject({ labelClassId: dog, disagreement: false, labelledById: await idOf(owner) });
  });

  it("settles a tie for the decided class, live, and later votes do not override it", async () => {
    const [ann, bob, cid] = annotators as [TestUser, TestUser, TestUser];
    const imageId = imageIds[0]!;
    const watcher = await open(owner);
    await call(watcher, "project:join", { projectId });
    const seen: ProjectEvent[] = collectEvents(watcher);

    await label(ann, imageId, cat);
    await label(bob, imageId, dog);
    // The plain rule: a tie goes to the latest vote, and the image waits for a reviewer.
    expect(await image(imageId)).toMatchObject({ labelClassId: dog, disagreement: true, voteCount: 2 });
    expect((await reviewer.trpc.review.disagreements.query({ projectId })).items.map((i) => i.imageId)).toEqual([imageId]);

    const { seq } = await reviewer.trpc.review.decide.mutate({ projectId, imageId, classId: cat });
    expect(await image(imageId)).toMatchObject({ labelClassId: cat, disagreement: false, voteCount: 3, labelledById: await idOf(reviewer) });
    await waitFor(() => seen.some((e) => e.seq === seq));
    expect(seen.find((e) => e.seq === seq)).toMatchObject({ type: "label", data: { imageId, resolvedClassId: cat, previousResolvedClassId: dog, decision: true, disagreement: false } });

    // Settled: off the open list, on the decided one, with who decided what.
    expect((await reviewer.trpc.review.disagreements.query({ projectId })).total).toBe(0);
    const decided = await reviewer.trpc.review.disagreements.query({ projectId, status: "decided" });
    expect(decided.items.find((i) => i.imageId === imageId)).toMatchObject({ labelClassId: cat, decision: { name: "Rita Reviewer", classId: cat } });

    // A later vote for the other class (the socket's grouped writer) lists the image again; the decision stands.
    await label(cid, imageId, dog);
    expect(await image(imageId)).toMatchObject({ labelClassId: cat, disagreement: true, voteCount: 4 });
    // So does a bulk label (the other write path), even when the votes against it are now three to one.
    const bulk = await call(await open(ann), "label:setMany", { projectId, imageIds: [imageId], classId: dog, clientLabelId: randomUUID() });
    expect(bulk).toMatchObject({ ok: true, count: 1 });
    expect(await image(imageId)).toMatchObject({ labelClassId: cat, disagreement: true });
    const open_ = (await reviewer.trpc.review.disagreements.query({ projectId })).items.find((i) => i.imageId === imageId)!;
    expect(open_.decision).toMatchObject({ name: "Rita Reviewer", classId: cat });
    expect(open_.votes.filter((v) => v.afterDecision).map((v) => v.classId)).toEqual([dog, dog]);

    // The history records the decision as the reviewer's, marked as a decision.
    const history = await reviewer.trpc.images.history.query({ projectId, imageId });
    const marked = history.filter((h) => h.decision);
    expect(marked).toHaveLength(1);
    expect(marked[0]).toMatchObject({ classId: cat, author: { name: "Rita Reviewer" }, undo: false });

    // Undo withdraws the decision: the reviewer had no vote before, and the plain rule speaks again (three dogs).
    const undone = await call(await open(reviewer), "label:undo", { projectId });
    expect(undone).toMatchObject({ ok: true, imageId, classId: null });
    expect(await image(imageId)).toMatchObject({ labelClassId: dog, disagreement: false, voteCount: 3 });
    expect(await t.db.prisma.vote.findUniqueOrThrow({ where: { imageId_userId: { imageId, userId: await idOf(reviewer) } } })).toMatchObject({ classId: null, decision: false });
    await waitFor(() => seen.some((e) => e.type === "label" && e.data.undo && e.data.imageId === imageId));
    expect(seen.find((e) => e.type === "label" && e.data.undo)).toMatchObject({ data: { resolvedClassId: dog, decision: false } });
    expect((await reviewer.trpc.review.disagreements.query({ projectId, status: "decided" })).items.map((i) => i.imageId)).not.toContain(imageId);
  });

  it("puts a decider's own earlier vote back as a plain vote on undo", async () => {
    const [ann] = annotators as [TestUser];
    const imageId = imageIds[1]!;
    await label(owner, imageId, dog);
    await label(ann, imageId, cat);
    await owner.trpc.review.decide.mutate({ projectId, imageId, classId: cat });
    expect(await image(imageId)).toMatchObject({ labelClassId: cat, disagreement: false, voteCount: 2 });
    expect(await call(await open(owner), "label:undo", { projectId })).toMatchObject({ ok: true, imageId, classId: dog });
    expect(await t.db.prisma.vote.findUniqueOrThrow({ where: { imageId_userId: { imageId, userId: await idOf(owner) } } })).toMatchObject({ classId: dog, decision: false });
    // One dog, one cat, no decision: a tie again, to the latest vote (the owner's restored dog), listed for review.
    expect(await image(imageId)).toMatchObject({ labelClassId: dog, disagreement: true });
  });

  it("shows the model's newest suggestion for a disputed image, whatever its status", async () => {
    const imageId = imageIds[1]!;
    const make = (version: number) => t.db.prisma.modelVersion.create({ data: { projectId, version, stage: "FINETUNE", classIds: [cat, dog] } });
    const [v1, v2] = [await make(1), await make(2)];
    await t.db.prisma.pseudoLabel.create({ data: { projectId, imageId, modelVersionId: v1.id, classId: dog, confidence: 0.6, probabilities: [0.4, 0.6], createdAt: new Date(Date.now() - 60_000) } });
    await t.db.prisma.pseudoLabel.create({ data: { projectId, imageId, modelVersionId: v2.id, classId: cat, confidence: 0.83, probabilities: [0.83, 0.17], status: "REJECTED" } });
    const item = (await reviewer.trpc.review.disagreements.query({ projectId })).items.find((i) => i.imageId === imageId)!;
    expect(item.suggestion).toMatchObject({ classId: cat, confidence: 0.83, status: "REJECTED", modelVersion: { version: 2, stage: "FINETUNE" } });
  });
});
