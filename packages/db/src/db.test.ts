import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openPglite } from "./client";
import { DataDirectoryInUseError } from "./lock";
import { applyMigrations, readMigrations, type SqlRunner } from "./migrate";
import { openTestDatabase, testDatabaseKinds } from "./testing";

describe.each(testDatabaseKinds)("database on %s", (kind) => {
  it("is migrated and supports nested writes and interactive transactions", async () => {
    const db = await openTestDatabase(kind);
    try {
      const user = await db.prisma.user.create({ data: { email: "a@example.com", name: "A", passwordHash: "x" } });
      const project = await db.prisma.project.create({
        data: { name: "P", members: { create: { userId: user.id, role: "OWNER" } }, classes: { create: [{ name: "cat", color: "#f00", hotkey: "1" }] } },
        include: { members: true, classes: true },
      });
      expect(project.members).toHaveLength(1);
      expect(project.classes[0]?.hotkey).toBe("1");
      await expect(
        db.prisma.$transaction(async (tx) => {
          await tx.labelClass.create({ data: { projectId: project.id, name: "dog", color: "#0f0" } });
          await tx.labelClass.create({ data: { projectId: project.id, name: "dog", color: "#00f" } });
        }),
      ).rejects.toThrow();
      expect(await db.prisma.labelClass.count()).toBe(1);
      const rows = await db.prisma.$queryRawUnsafe<{ migration_name: string }[]>(`SELECT migration_name FROM "_prisma_migrations"`);
      expect(rows.map((r) => r.migration_name)).toEqual(readMigrations().map((m) => m.name));
    } finally {
      await db.close();
    }
  });
});

describe("migrations", () => {
  it("refuse a database whose applied migration was edited since, naming it", async () => {
    const db = await openTestDatabase("pglite");
    try {
      const runner: SqlRunner = {
        exec: async (sql) => void (await db.prisma.$executeRawUnsafe(sql)),
        // Prisma cannot read pg_advisory_lock's void result back: run those for their effect.
        query: async (sql, params = []) => (sql.includes("pg_advisory") ? (await db.prisma.$executeRawUnsafe(sql, ...params), []) : db.prisma.$queryRawUnsafe(sql, ...params)),
      };
      const migrations = readMigrations();
      // As they are: nothing to do.
      expect(await applyMigrations(runner, migrations)).toEqual([]);
      const edited = migrations.map((m, i) => (i === 1 ? { ...m, sql: `${m.sql}\n-- edited`, checksum: "0".repeat(64) } : m));
      await expect(applyMigrations(runner, edited)).rejects.toThrow(new RegExp(`Migration ${migrations[1]!.name} changed after it was applied`));
    } finally {
      await db.close();
    }
  });
});

describe("embedded data directory", () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it("persists across restarts and refuses a second owner", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fewlabel-db-"));
    dirs.push(dir);
    const dataDir = path.join(dir, "pglite");
    const first = await openPglite(dataDir);
    await first.prisma.user.create({ data: { email: "b@example.com", name: "B", passwordHash: "x" } });
    await expect(openPglite(dataDir)).rejects.toBeInstanceOf(DataDirectoryInUseError);

    // A second *process* gets the same clear error, and the first keeps working.
    const probe = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "-e",
        `import("${path.resolve(__dirname, "client.ts")}").then(m => m.openPglite(${JSON.stringify(dataDir)})).then(() => process.exit(0), e => { console.error(e.name + ": " + e.message); process.exit(3); })`,
      ],
      { encoding: "utf8" },
    );
    expect(probe.status).toBe(3);
    expect(probe.stderr).toContain("DataDirectoryInUseError");
    expect(await first.prisma.user.count()).toBe(1);
    await first.close();

    const again = await openPglite(dataDir);
    expect(await again.prisma.user.findUnique({ where: { email: "b@example.com" } })).not.toBeNull();
    await again.close();
  });
});
