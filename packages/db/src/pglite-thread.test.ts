// PGliteThread must behave as PGlite itself for everything fewlabel calls: the same values from the same parsers,
// the same errors, the same transaction semantics. Each check runs against both and compares.
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PGliteThread } from "./pglite-thread";
import { openPglite } from "./client";

const setup = `
  CREATE TABLE t (id serial PRIMARY KEY, name text UNIQUE, big bigint, num numeric(10,3), at timestamp(3), tz timestamptz,
    doc jsonb, tags text[], nums int[], bytes bytea, flag boolean, day date);
  INSERT INTO t (name, big, num, at, tz, doc, tags, nums, bytes, flag, day) VALUES
    ('a', 9007199254740993, 12.345, '2026-11-28 09:00:00.123', '2026-11-28 09:00:00+02', '{"x": [1, {"y": null}]}',
     ARRAY['p', 'q,r', NULL], ARRAY[1, 2, 3], '\\x00ff10', true, '2026-01-02'),
    ('b', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);`;

describe("PGliteThread", () => {
  let thread: PGliteThread;
  let local: PGlite;
  beforeAll(async () => {
    thread = new PGliteThread(undefined);
    local = new PGlite();
    await thread.exec(setup);
    await local.exec(setup);
  });
  afterAll(async () => {
    await thread?.close();
    await local?.close();
  });

  it("returns the values PGlite returns, in object and array row modes and with custom parsers", async () => {
    const sql = "SELECT * FROM t ORDER BY id";
    expect(await thread.query(sql)).toEqual(await local.query(sql));
    expect(await thread.query(sql, [], { rowMode: "array" })).toEqual(await local.query(sql, [], { rowMode: "array" }));
    const parsers = { 20: (x: string) => `int8:${x}`, 1114: (x: string) => `ts:${x}` };
    expect((await thread.query(sql, [], { rowMode: "array", parsers })).rows).toEqual((await local.query(sql, [], { rowMode: "array", parsers })).rows);
    const params = ["a", [1, 2], new Uint8Array([1, 2, 3])];
    const q = "SELECT name, $2::int[] AS arr, $3::bytea AS b FROM t WHERE name = $1";
    expect(await thread.query(q, params)).toEqual(await local.query(q, params));
    const update = "UPDATE t SET flag = false WHERE name = 'b'";
    expect((await thread.query(update)).affectedRows).toBe((await local.query(update)).affectedRows);
  });

  it("raises PostgreSQL's errors as PGlite's DatabaseError, with the code", async () => {
    const insert = "INSERT INTO t (name) VALUES ('a')";
    const [mine, theirs] = await Promise.all([thread.query(insert).catch((e: unknown) => e), local.query(insert).catch((e: unknown) => e)]);
    expect(mine).toBeInstanceOf(Error);
    expect((mine as Error).constructor.name).toBe((theirs as Error).constructor.name);
    expect(mine).toMatchObject({ code: "23505", constraint: (theirs as { constraint: string }).constraint, message: (theirs as Error).message });
  });

  it("commits, rolls back on a throw or on rollback(), and keeps other statements out while a transaction is open", async () => {
    await thread.transaction(async (tx) => {
      await tx.query("INSERT INTO t (name) VALUES ('c')");
    });
    await expect(
      thread.transaction(async (tx) => {
        await tx.query("INSERT INTO t (name) VALUES ('d')");
        throw new Error("changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    await thread.transaction(async (tx) => {
      await tx.query("INSERT INTO t (name) VALUES ('e')");
      await tx.rollback();
    });
    // A statement issued during a transaction waits for it: it sees the committed row, never a half-done one.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const inTx = thread.transaction(async (tx) => {
      await tx.query("INSERT INTO t (name) VALUES ('f')");
      await held;
      await tx.query("UPDATE t SET flag = true WHERE name = 'f'");
    });
    await new Promise((r) => setTimeout(r, 20));
    const outside = thread.query<{ flag: boolean }>("SELECT flag FROM t WHERE name = 'f'");
    release();
    await inTx;
    expect((await outside).rows).toEqual([{ flag: true }]);
    const names = (await thread.query<{ name: string }>("SELECT name FROM t ORDER BY id")).rows.map((r) => r.name);
    expect(names).toEqual(["a", "b", "c", "f"]);
  });
});

describe("openPglite on a thread", () => {
  it("serves Prisma, including a unique violation mapped to Prisma's error", async () => {
    const db = await openPglite(undefined);
    try {
      const user = await db.prisma.user.create({ data: { email: "x@example.com", name: "X", passwordHash: "h" } });
      expect(user.createdAt).toBeInstanceOf(Date);
      await expect(db.prisma.user.create({ data: { email: "x@example.com", name: "Y", passwordHash: "h" } })).rejects.toMatchObject({ code: "P2002" });
      const counted = await db.prisma.$transaction(async (tx) => {
        await tx.user.create({ data: { email: "y@example.com", name: "Y", passwordHash: "h" } });
        return tx.user.count();
      });
      expect(counted).toBe(2);
    } finally {
      await db.close();
    }
  });
});
