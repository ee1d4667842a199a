// The demo importer against the embedded database (PGlite in memory) and a real image store: a project with the
// ten Fashion-MNIST classes and hotkeys, every image stored, exactly the stratified fraction labelled (and labelled
// correctly), owned by a new or an existing account.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FASHION_MNIST_DIR, fashionMnistAvailable, loadFashionMnist } from "@fewlabel/datasets";
import { openTestDatabase } from "@fewlabel/db/testing";
import type { Database } from "@fewlabel/db";
import { LocalImageStore, originalKey } from "@fewlabel/storage";
import { createDemoProject } from "../src/server/demo-project";

// Under CI a missing data set fails the test instead of skipping it: a green run means every test ran.
const available = fashionMnistAvailable() || !!process.env.CI;
if (!available) console.warn(`demo project test: SKIPPED, Fashion-MNIST not found in ${FASHION_MNIST_DIR} (apt-get install -y dataset-fashion-mnist)`);

describe.skipIf(!available)("npm run demo (createDemoProject)", () => {
  let database: Database;
  let dir: string;
  beforeAll(async () => {
    database = await openTestDatabase("pglite");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "fewlabel-demo-"));
  });
  afterAll(async () => {
    await database?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("creates a labelled demo project for a new account, then a second one for the same (existing) account", async () => {
    const services = { db: database.prisma, store: new LocalImageStore(path.join(dir, "images")) };
    const demo = await createDemoProject(services, { images: 120, labelFraction: 0.25, email: "new@example.com", seed: 1 });
    expect(demo.createdPassword).toMatch(/.{8,}/);
    expect(demo.summary).toMatchObject({ accepted: 120, rejected: [] });
    const db = database.prisma;
    const classes = await db.labelClass.findMany({ where: { projectId: demo.projectId }, orderBy: { position: "asc" } });
    expect(classes.map((c) => [c.name, c.hotkey])).toEqual(loadFashionMnist("test", { limit: 1 }).classes.map((name, i) => [name, String((i + 1) % 10)]));
    const images = await db.image.findMany({ where: { projectId: demo.projectId }, include: { labelClass: true } });
    expect(images).toHaveLength(120);
    const truth = loadFashionMnist("train", { limit: 120 });
    const labelled = images.filter((i) => i.labelClass);
    // 25% of each class, at least one per class: between 25 and 40 of 120 whatever the class counts.
    expect(labelled.length).toBe(demo.summary.labelled);
    expect(labelled.length).toBeGreaterThanOrEqual(28);
    expect(labelled.length).toBeLessThanOrEqual(40);
    expect(new Set(labelled.map((i) => i.labelClassId)).size).toBe(10);
    for (const image of labelled) {
      const index = Number(image.filename.match(/(\d+)\.png$/)![1]);
      expect(image.labelClass!.name).toBe(truth.classes[truth.labels[index]!]);
      expect(image.labelSource).toBe("IMPORT");
    }
    const membership = await db.membership.findFirstOrThrow({ where: { projectId: demo.projectId } });
    expect(membership).toMatchObject({ userId: demo.userId, role: "OWNER" });
    const png = await services.store.get(originalKey(images[0]!.contentHash));
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect(await db.session.count({ where: { userId: demo.userId } })).toBe(0);

    const again = await createDemoProject(services, { images: 20, labelFraction: 0, email: "new@example.com" });
    expect(again.userId).toBe(demo.userId);
    expect(again.createdPassword).toBeUndefined();
    expect(again.projectId).not.toBe(demo.projectId);
    expect(again.summary).toMatchObject({ accepted: 20, labelled: 0 });
  });

  it("refuses a bad label fraction or image count before creating anything", async () => {
    const services = { db: database.prisma, store: new LocalImageStore(path.join(dir, "images")) };
    const before = await database.prisma.project.count();
    await expect(createDemoProject(services, { images: 10, labelFraction: 1.5, email: "x@example.com" })).rejects.toThrow(/label-fraction/);
    await expect(createDemoProject(services, { images: 0, labelFraction: 0.1, email: "x@example.com" })).rejects.toThrow(/images/);
    expect(await database.prisma.project.count()).toBe(before);
  });
});
