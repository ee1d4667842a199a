// Group commit must give the same result as applying votes one by one: in arrival order, each caller its own answer.
import { randomUUID } from "node:crypto";
import { openTestDatabase } from "@fewlabel/db/testing";
import type { ProjectEvent } from "@fewlabel/realtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LabelWriter } from "./label-writer";

describe("LabelWriter", () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  const published: ProjectEvent[][] = [];
  let writer: LabelWriter;
  let p: { id: string; cat: string; dog: string; images: string[] };
  let other: { id: string; cls: string };
  let alice: { id: string; name: string };
  let bob: { id: string; name: string };

  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    writer = new LabelWriter(db.prisma, (e) => published.push(e));
    alice = await db.prisma.user.create({ data: { email: "a@x.io", name: "Alice", passwordHash: "-" }, select: { id: true, name: true } });
    bob = await db.prisma.user.create({ data: { email: "b@x.io", name: "Bob", passwordHash: "-" }, select: { id: true, name: true } });
    const proj = await db.prisma.project.create({ data: { name: "P", classes: { create: [{ name: "cat", color: "#000000" }, { name: "dog", color: "#111111" }] } }, include: { classes: true } });
    const images = await Promise.all([0, 1, 2].map((i) => db.prisma.image.create({ data: { projectId: proj.id, contentHash: `h${i}`, filename: `${i}.png`, format: "png", width: 1, height: 1, byteSize: 1 } })));
    p = { id: proj.id, cat: proj.classes.find((c) => c.name === "cat")!.id, dog: proj.classes.find((c) => c.name === "dog")!.id, images: images.map((i) => i.id) };
    const o = await db.prisma.project.create({ data: { name: "Other", classes: { create: [{ name: "x", color: "#000000" }] } }, include: { classes: true } });
    other = { id: o.id, cls: o.classes[0]!.id };
  });
  afterAll(() => db?.close());

  it("applies a same-tick batch in arrival order and answers each caller, rejecting only the bad vote", async () => {
    const as = (u: { id: string; name: string }) => ({ projectId: p.id, actor: u });
    const results = await Promise.allSettled([
      writer.submit(as(alice), { imageId: p.images[0]!, classId: p.cat, unsure: false, clientLabelId: randomUUID() }),
      writer.submit(as(alice), { imageId: p.images[0]!, classId: p.dog, unsure: false, clientLabelId: randomUUID() }),
      writer.submit(as(bob), { imageId: p.images[0]!, classId: p.cat, unsure: false, clientLabelId: randomUUID() }),
      writer.submit(as(bob), { imageId: p.images[1]!, classId: other.cls, unsure: false, clientLabelId: randomUUID() }),
      writer.submit(as(alice), { imageId: p.images[2]!, classId: p.dog, unsure: true, clientLabelId: randomUUID() }),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "fulfilled", "rejected", "fulfilled"]);
    const seqs = results.filter((r) => r.status === "fulfilled").map((r) => (r as PromiseFulfilledResult<{ seq: number }>).value.seq);
    expect(seqs).toEqual([1, 2, 3, 4]);
    expect(published).toHaveLength(1);
    const events = published[0]!;
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    // Alice's second vote on image 0 records her first as "from".
    expect(events[1]!.data).toMatchObject({ classId: p.dog, previousClassId: p.cat });
    // Then Bob says cat: cat 1 vs dog 1, the latest (Bob's) wins.
    expect(events[2]!.data).toMatchObject({ resolvedClassId: p.cat, votes: 2, disagreement: true });

    const img0 = await db.prisma.image.findUniqueOrThrow({ where: { id: p.images[0]! } });
    expect([img0.labelClassId, img0.voteCount, img0.disagreement, img0.labelledById]).toEqual([p.cat, 2, true, bob.id]);
    expect(await db.prisma.vote.count({ where: { imageId: p.images[0]! } })).toBe(2);
    expect(await db.prisma.annotation.count({ where: { imageId: p.images[0]! } })).toBe(3);
    expect((await db.prisma.image.findUniqueOrThrow({ where: { id: p.images[1]! } })).labelClassId).toBeNull();
    expect(await db.prisma.projectEvent.count({ where: { projectId: p.id } })).toBe(4);
    expect(Number((await db.prisma.project.findUniqueOrThrow({ where: { id: p.id } })).seq)).toBe(4);
  });

  it("answers a repeated clientLabelId with the first result, in the same batch or later", async () => {
    const req = { imageId: p.images[1]!, classId: p.dog, unsure: false, clientLabelId: randomUUID() };
    const who = { projectId: p.id, actor: bob };
    const [a, b] = await Promise.all([writer.submit(who, req), writer.submit(who, req)]);
    const c = await writer.submit(who, req);
    expect([a.duplicate, b.duplicate, c.duplicate]).toEqual([false, true, true]);
    expect(new Set([a.annotationId, b.annotationId, c.annotationId]).size).toBe(1);
    expect(await db.prisma.annotation.count({ where: { clientLabelId: req.clientLabelId } })).toBe(1);
  });
});
