// The ordered change log of a project. `appendEvents` hands out the project's next sequence numbers inside the
// caller's transaction (the UPDATE takes the project row's lock, so concurrent writers, on one server or several,
// are ordered by the database) and stores the events for catch-up; `eventsSince` replays them.
import type { Prisma, PrismaClient } from "@fewlabel/db";
import type { ProjectEvent, ProjectEventType } from "@fewlabel/realtime";

export type NewEvent = { type: ProjectEventType; data: unknown };

export interface Actor {
  id: string;
  name: string;
}

/** Replays at most this many events to a reconnecting client; beyond that it refetches. */
export const MAX_REPLAY = 5000;

/** Reserves the project's next `count` sequence numbers; returns the first. Locks the project row until commit. */
export async function reserveSeqs(tx: Prisma.TransactionClient, projectId: string, count: number): Promise<number> {
  const [row] = await tx.$queryRaw<{ seq: bigint }[]>`UPDATE "Project" SET seq = seq + ${count} WHERE id = ${projectId} RETURNING seq`;
  if (!row) throw new Error("Project not found.");
  return Number(row.seq) - count + 1;
}

/** Rows for the ProjectEvent table, for jsonb_to_recordset. */
export function eventRows(events: readonly ProjectEvent[]) {
  return events.map((e) => ({ projectId: e.projectId, seq: e.seq, type: e.type, payload: e, actorId: e.actor.id, createdAt: e.at.replace("Z", "") }));
}

/** Stores already-numbered events (any projects, any actors) in one statement. */
export async function storeEvents(tx: Prisma.TransactionClient, events: readonly ProjectEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx.$executeRaw`
    INSERT INTO "ProjectEvent" ("projectId", "seq", "type", "payload", "actorId", "createdAt")
    SELECT x."projectId", x.seq, x.type, x.payload, x."actorId", x."createdAt"::timestamp(3)
    FROM jsonb_to_recordset(${JSON.stringify(eventRows(events))}::jsonb)
      AS x("projectId" text, seq bigint, type text, payload jsonb, "actorId" text, "createdAt" text)`;
}

export async function appendEvents(tx: Prisma.TransactionClient, projectId: string, actor: Actor, events: NewEvent[]): Promise<ProjectEvent[]> {
  if (events.length === 0) return [];
  const first = await reserveSeqs(tx, projectId, events.length);
  const at = new Date().toISOString();
  const out = events.map((e, i) => ({ type: e.type, seq: first + i, projectId, at, actor, data: e.data }) as ProjectEvent);
  await storeEvents(tx, out);
  return out;
}

export async function eventsSince(db: PrismaClient, projectId: string, sinceSeq: number): Promise<{ events: ProjectEvent[]; reset: boolean; seq: number }> {
  const project = await db.project.findUniqueOrThrow({ where: { id: projectId }, select: { seq: true } });
  const seq = Number(project.seq);
  if (seq - sinceSeq > MAX_REPLAY || sinceSeq > seq) return { events: [], reset: true, seq };
  const rows = await db.projectEvent.findMany({
    where: { projectId, seq: { gt: BigInt(sinceSeq), lte: BigInt(seq) } },
    orderBy: { seq: "asc" },
    select: { payload: true },
  });
  return { events: rows.map((r) => r.payload as unknown as ProjectEvent), reset: false, seq };
}

/** Appends events in their own transaction and broadcasts them: for changes that are not themselves transactional. */
export async function announce(services: { db: PrismaClient; broadcaster?: { publish(events: readonly ProjectEvent[]): void } }, projectId: string, actor: Actor, events: NewEvent[]): Promise<void> {
  const out = await services.db.$transaction((tx) => appendEvents(tx, projectId, actor, events));
  services.broadcaster?.publish(out);
}
