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
    const proj = await db.prisma.project.create({
      data: {
        name: "P",
        classes: {
          create: [
            { name: "cat", color: "#000000" },
            { name: "dog", color: "#111111" },
          ],
        },
      },
      include: { classes: true },
    });
    const images = await Promise.all(
      [0, 1, 2].map((i) => db.prisma.image.create({ data: { projectId: proj.id, contentHash: `h${i}`, filename: `${i}.png`, format: "png", width: 1, height: 1, byteSize: 1 } })),
    );
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

// The two races seen with two instances on PostgreSQL (issue 13, items 14 and 15), made deterministic: a
// connection holds the project's row lock, the writers queue up behind it in a chosen order, then it lets go.
// (PGlite runs one transaction at a time, so neither race can happen there.)
describe("LabelWriter racing other writers on PostgreSQL", () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let p: { id: string; cat: string; dog: string; images: string[] };
  let x: { id: string; name: string }, y: { id: string; name: string }, z: { id: string; name: string };
  const who = (u: { id: string; name: string }) => ({ projectId: p.id, actor: u });

  beforeAll(async () => {
    db = await openTestDatabase("postgres");
    const user = (n: string) => db.prisma.user.create({ data: { email: `${n}@race.io`, name: n.toUpperCase(), passwordHash: "-" }, select: { id: true, name: true } });
    [x, y, z] = [await user("x"), await user("y"), await user("z")];
    const proj = await db.prisma.project.create({
      data: {
        name: "Race",
        classes: {
          create: [
            { name: "cat", color: "#000000" },
            { name: "dog", color: "#111111" },
          ],
        },
      },
      include: { classes: true },
    });
    const images = await Promise.all(
      [0, 1, 2, 3].map((i) => db.prisma.image.create({ data: { projectId: proj.id, contentHash: `r${i}`, filename: `${i}.png`, format: "png", width: 1, height: 1, byteSize: 1 } })),
    );
    p = { id: proj.id, cat: proj.classes.find((c) => c.name === "cat")!.id, dog: proj.classes.find((c) => c.name === "dog")!.id, images: images.map((i) => i.id) };
  });
  afterAll(() => db?.close());

  /** Holds the project row lock until the returned function is called. */
  async function holdProjectLock(): Promise<() => Promise<void>> {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const tx = db.prisma.$transaction(
      async (t) => {
        await t.$queryRaw`SELECT id FROM "Project" WHERE id = ${p.id} FOR UPDATE`;
        locked();
        await released;
      },
      { timeout: 30_000 },
    );
    await isLocked;
    return async () => {
      release();
      await tx;
    };
  }
  const settle = () => new Promise((r) => setTimeout(r, 400));

  it("computes an image's label from every vote committed before its own, even one that waited on the same lock", async () => {
    const { setLabels } = await import("./labelling");
    const image = p.images[0]!;
    const unlock = await holdProjectLock();
    const bulk = setLabels(db.prisma, who(y), [image], p.cat); // Y's bulk label waits for the lock first
    await settle();
    const single = new LabelWriter(db.prisma, () => {}).submit(who(x), { imageId: image, classId: p.dog, unsure: false, clientLabelId: randomUUID() });
    await settle();
    await unlock();
    const [b, s] = await Promise.all([bulk, single]);
    expect(b.count).toBe(1);
    expect(s.duplicate).toBe(false);
    const row = await db.prisma.image.findUniqueOrThrow({ where: { id: image }, select: { voteCount: true, disagreement: true } });
    expect(row).toEqual({ voteCount: 2, disagreement: true });
    expect(await db.prisma.vote.count({ where: { imageId: image } })).toBe(2);
  });

  it("answers a resend that raced its original (through another instance) with the original, and keeps the rest of its batch", async () => {
    const [instanceA, instanceB] = [new LabelWriter(db.prisma, () => {}), new LabelWriter(db.prisma, () => {})];
    const vote = { imageId: p.images[1]!, classId: p.cat, unsure: false, clientLabelId: randomUUID() };
    const unlock = await holdProjectLock();
    const original = instanceA.submit(who(x), vote);
    await settle();
    // Instance B's batch: X's resend and Z's unrelated label, in the same tick.
    const resend = instanceB.submit(who(x), vote);
    const unrelated = instanceB.submit(who(z), { imageId: p.images[2]!, classId: p.dog, unsure: false, clientLabelId: randomUUID() });
    await settle();
    await unlock();
    const [o, r, u] = await Promise.all([original, resend, unrelated]);
    expect(o.duplicate).toBe(false);
    expect(r).toEqual({ ...o, duplicate: true });
    expect(u.duplicate).toBe(false);
    expect(await db.prisma.annotation.count({ where: { clientLabelId: vote.clientLabelId } })).toBe(1);
    expect(await db.prisma.vote.findUnique({ where: { imageId_userId: { imageId: p.images[2]!, userId: z.id } } })).toMatchObject({ classId: p.dog });
  });

  it("treats the same client id from two authors as two requests", async () => {
    const writer = new LabelWriter(db.prisma, () => {});
    const id = randomUUID();
    const a = await writer.submit(who(x), { imageId: p.images[3]!, classId: p.cat, unsure: false, clientLabelId: id });
    const b = await writer.submit(who(y), { imageId: p.images[3]!, classId: p.dog, unsure: false, clientLabelId: id });
    expect(a.duplicate).toBe(false);
    expect(b.duplicate).toBe(false);
    expect(b.annotationId).not.toBe(a.annotationId);
    expect(await db.prisma.vote.count({ where: { imageId: p.images[3]! } })).toBe(2);
  });
});
