// Trainer tokens: how a trainer process (apps/trainer, possibly on another machine) authenticates, with
// `Authorization: Bearer <token>`. Like sessions and invites, only the SHA-256 of a token is stored, so the token is
// shown once. A token belongs to one project, or (projectId null) to the whole instance: the web server mints such a
// token for the local trainer it starts next to itself, and revokes it when it stops.
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

/** Local-trainer tokens unused for this long belong to servers that are gone (a live trainer polls every few seconds). */
const STALE_LOCAL_TOKEN_MS = 10 * 60_000;

/**
 * An instance token for the trainer `npm start` runs next to the web server. The server hands it to its child process
 * through the environment (never to disk) and revokes it when it stops; tokens of servers that died without revoking
 * theirs are revoked here once stale. Several web instances on one database each mint their own.
 */
export async function mintLocalTrainerToken(db: PrismaClient): Promise<{ id: string; token: string }> {
  const token = newTrainerToken();
  const stale = new Date(Date.now() - STALE_LOCAL_TOKEN_MS);
  const [, row] = await db.$transaction([
    db.trainerToken.updateMany({
      where: { projectId: null, name: LOCAL_TRAINER_NAME, revokedAt: null, OR: [{ lastUsedAt: { lt: stale } }, { lastUsedAt: null, createdAt: { lt: stale } }] },
      data: { revokedAt: new Date() },
    }),
    db.trainerToken.create({ data: { projectId: null, name: LOCAL_TRAINER_NAME, tokenHash: hashToken(token) } }),
  ]);
  return { id: row.id, token };
}

export async function revokeTrainerToken(db: PrismaClient, tokenId: string): Promise<void> {
  await db.trainerToken.updateMany({ where: { id: tokenId, revokedAt: null }, data: { revokedAt: new Date() } });
}

export const SERVICE_TRAINER_NAME = "trainer service";
const SERVICE_TOKEN_PATTERN = /^flt_[A-Za-z0-9_-]{32,96}$/;

/**
 * The instance token of a trainer that runs as its own service (docker/compose.yml's `trainer`, a GPU machine): the
 * operator sets the same secret as FEWLABEL_SERVICE_TRAINER_TOKEN on the web servers and as FEWLABEL_TRAINER_TOKEN
 * on the trainers, and that trainer may serve every project, as the local trainer does. Each web server registers it
 * at start (idempotent, so several instances on one database agree); a changed secret revokes the previous one.
 */
export async function registerServiceTrainerToken(db: PrismaClient, token: string): Promise<void> {
  if (!SERVICE_TOKEN_PATTERN.test(token)) {
    throw new Error("FEWLABEL_SERVICE_TRAINER_TOKEN must be flt_ followed by 32-96 letters, digits, '-' or '_' (for example flt_ and the output of `openssl rand -hex 24`)");
  }
  const tokenHash = hashToken(token);
  await db.trainerToken.updateMany({ where: { projectId: null, name: SERVICE_TRAINER_NAME, revokedAt: null, NOT: { tokenHash } }, data: { revokedAt: new Date() } });
  const upsert = () => db.trainerToken.upsert({ where: { tokenHash }, create: { projectId: null, name: SERVICE_TRAINER_NAME, tokenHash }, update: { revokedAt: null } });
  // Two instances starting together may both try to create it: the second then updates the first one's row.
  await upsert().catch((error: unknown) => {
    if ((error as { code?: string }).code === "P2002") return upsert();
    throw error;
  });
}
