// Trainer tokens: how a trainer process (apps/trainer, possibly on another machine) authenticates, with
// `Authorization: Bearer <token>`. Like sessions and invites, only the SHA-256 of a token is stored, so the token is
// shown once. A token belongs to one project, or (projectId null) to the whole instance: the web server mints such a
// token for the local trainer it starts next to itself, and revokes the previous one at every start.
import type { PrismaClient } from "@fewlabel/db";
import { hashToken, newToken } from "./sessions";

/** Who is calling, when the caller is a trainer. */
export interface TrainerIdentity {
  tokenId: string;
  name: string;
  /** The one project the token may touch; null: any project (the local trainer's instance token). */
  projectId: string | null;
}

const PREFIX = "flt_";
export const LOCAL_TRAINER_NAME = "local trainer";

export function newTrainerToken(): string {
  return PREFIX + newToken();
}

/** The bearer token of an Authorization header, if it looks like a trainer token. */
export function readBearerToken(header: string | undefined): string | undefined {
  const m = header?.match(/^Bearer\s+(\S+)$/i);
  return m && m[1]!.startsWith(PREFIX) && m[1]!.length <= 100 ? m[1] : undefined;
}

/** Resolves a token to its trainer; revoked or unknown tokens resolve to null. */
export async function resolveTrainerToken(db: PrismaClient, token: string | undefined): Promise<TrainerIdentity | null> {
  if (!token) return null;
  const row = await db.trainerToken.findUnique({ where: { tokenHash: hashToken(token) }, select: { id: true, name: true, projectId: true, revokedAt: true, lastUsedAt: true } });
  if (!row || row.revokedAt) return null;
  // Last use is shown to owners; a minute's precision is plenty and spares a write per request.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    await db.trainerToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } }).catch(() => {});
  }
  return { tokenId: row.id, name: row.name, projectId: row.projectId };
}

/** Creates a token for one project; returns the token (to show once) and its id. */
export async function createTrainerToken(db: PrismaClient, projectId: string, name: string, createdById: string): Promise<{ id: string; token: string }> {
  const token = newTrainerToken();
  const row = await db.trainerToken.create({ data: { projectId, name, tokenHash: hashToken(token), createdById } });
  return { id: row.id, token };
}

/**
 * The instance token for the trainer `npm start` runs next to the web server: revokes the previous local tokens and
 * creates a fresh one, which the web server hands to its child process through the environment (never to disk).
 */
export async function mintLocalTrainerToken(db: PrismaClient): Promise<string> {
  const token = newTrainerToken();
  await db.$transaction([
    db.trainerToken.updateMany({ where: { projectId: null, name: LOCAL_TRAINER_NAME, revokedAt: null }, data: { revokedAt: new Date() } }),
    db.trainerToken.create({ data: { projectId: null, name: LOCAL_TRAINER_NAME, tokenHash: hashToken(token) } }),
  ]);
  return token;
}
