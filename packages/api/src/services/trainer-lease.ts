// The per-project trainer lease: two trainers never run one project at once. A trainer claims the lease, renews it
// while it works (heartbeat) and releases it when it stops; a trainer that vanishes (kill -9, lost network) lets its
// lease expire, and another trainer (or the same one restarted) may claim it then. Labelling never waits on it.
import type { PrismaClient } from "@fewlabel/db";
import type { ProjectEvent } from "@fewlabel/realtime";
import { randomUUID } from "node:crypto";
import type { Actor } from "./project-events";
import { leaseChanged } from "./training";

/** A lease not renewed for this long lapses. Trainers renew every third of it. */
export const TRAINER_LEASE_SECONDS = 30;

export interface LeaseGrant {
  leaseId: string;
  expiresAt: Date;
  ttlSeconds: number;
}

export type ClaimOutcome = ({ ok: true } & LeaseGrant) | { ok: false; holder: string; expiresAt: Date };

/**
 * Takes the lease when it is free or expired, in one statement (an upsert that only overwrites an expired row), so
 * two trainers claiming at the same moment cannot both win.
 */
export async function claimTrainerLease(db: PrismaClient, projectId: string, tokenId: string, holder: string, ttlSeconds = TRAINER_LEASE_SECONDS): Promise<ClaimOutcome> {
  const leaseId = randomUUID();
  const rows = await db.$queryRaw<{ leaseId: string; expiresAt: Date }[]>`
    INSERT INTO "TrainerLease" ("projectId", "leaseId", "tokenId", "holder", "acquiredAt", "expiresAt")
    VALUES (${projectId}, ${leaseId}, ${tokenId}, ${holder}, now(), now() + (${ttlSeconds}::int * interval '1 second'))
    ON CONFLICT ("projectId") DO UPDATE SET "leaseId" = EXCLUDED."leaseId", "tokenId" = EXCLUDED."tokenId", "holder" = EXCLUDED."holder",
      "acquiredAt" = EXCLUDED."acquiredAt", "expiresAt" = EXCLUDED."expiresAt"
    WHERE "TrainerLease"."expiresAt" <= now()
    RETURNING "leaseId", "expiresAt"`;
  const row = rows[0];
  if (row) return { ok: true, leaseId: row.leaseId, expiresAt: row.expiresAt, ttlSeconds };
  const current = await db.trainerLease.findUnique({ where: { projectId }, select: { holder: true, expiresAt: true } });
  return { ok: false, holder: current?.holder ?? "another trainer", expiresAt: current?.expiresAt ?? new Date() };
}

/** Extends a live lease; false when it lapsed or was taken over (the trainer must stop writing). */
export async function renewTrainerLease(db: PrismaClient, projectId: string, leaseId: string, ttlSeconds = TRAINER_LEASE_SECONDS): Promise<Date | null> {
  const rows = await db.$queryRaw<{ expiresAt: Date }[]>`
    UPDATE "TrainerLease" SET "expiresAt" = now() + (${ttlSeconds}::int * interval '1 second')
    WHERE "projectId" = ${projectId} AND "leaseId" = ${leaseId} AND "expiresAt" > now()
    RETURNING "expiresAt"`;
  return rows[0]?.expiresAt ?? null;
}

export async function releaseTrainerLease(db: PrismaClient, projectId: string, leaseId: string): Promise<boolean> {
  return (await db.trainerLease.deleteMany({ where: { projectId, leaseId } })).count > 0;
}

/** Whether `leaseId` is the project's live lease: every trainer write checks this. */
export async function holdsTrainerLease(db: PrismaClient, projectId: string, leaseId: string): Promise<boolean> {
  return (await db.trainerLease.count({ where: { projectId, leaseId, expiresAt: { gt: new Date() } } })) > 0;
}

/**
 * Ends every lease of a token whose trainer is known to be gone: `npm start`'s web server saw its local trainer's
 * process exit (killed, crashed, or stopped too late to release). Nothing of that trainer can write any more, so its
 * projects need not wait for the leases to lapse: the trainer the server starts next takes them over at once. (A
 * trainer elsewhere that merely went quiet cannot be told from a stalled one; its lease lapses instead.)
 */
export async function releaseTokenLeases(db: PrismaClient, tokenId: string, actor: Actor): Promise<ProjectEvent[]> {
  const leases = await db.trainerLease.findMany({ where: { tokenId }, select: { projectId: true, leaseId: true } });
  const events: ProjectEvent[] = [];
  for (const { projectId, leaseId } of leases) {
    events.push(...(await db.$transaction(async (tx) => ((await tx.trainerLease.deleteMany({ where: { projectId, leaseId } })).count > 0 ? leaseChanged(tx, projectId, actor) : []))));
  }
  return events;
}
