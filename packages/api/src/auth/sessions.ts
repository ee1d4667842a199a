// Sessions: a random 256-bit token in an http-only cookie; the database keeps only its SHA-256. Sliding expiry.
import { createHash, randomBytes } from "node:crypto";
import type { PrismaClient, User } from "@fewlabel/db";

export const SESSION_COOKIE = "fewlabel_session";
const SESSION_DAYS = 30;
const REFRESH_AFTER_MS = 24 * 3600 * 1000;

export type SessionUser = Pick<User, "id" | "email" | "name" | "isAdmin">;

export interface ResolvedSession {
  sessionId: string;
  user: SessionUser;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

export async function createSession(db: PrismaClient, userId: string): Promise<{ token: string; expiresAt: Date }> {
  const token = newToken();
  const expiresAt = new Date(Date.now() + SESSION_DAYS * 86400_000);
  await db.session.create({ data: { id: hashToken(token), userId, expiresAt } });
  return { token, expiresAt };
}

export async function resolveSession(db: PrismaClient, token: string | undefined): Promise<ResolvedSession | null> {
  if (!token || token.length > 100) return null;
  const id = hashToken(token);
  const session = await db.session.findUnique({
    where: { id },
    include: { user: { select: { id: true, email: true, name: true, isAdmin: true, disabledAt: true } } },
  });
  if (!session) return null;
  // A disabled account's sessions were ended when it was disabled; one that slipped through ends here.
  if (session.user.disabledAt) {
    await db.session.deleteMany({ where: { id } });
    return null;
  }
  const now = Date.now();
  if (session.expiresAt.getTime() <= now) {
    await db.session.deleteMany({ where: { id } });
    return null;
  }
  if (now - session.lastSeenAt.getTime() > REFRESH_AFTER_MS) {
    await db.session.update({
      where: { id },
      data: { lastSeenAt: new Date(now), expiresAt: new Date(now + SESSION_DAYS * 86400_000) },
    });
  }
  const { disabledAt: _, ...user } = session.user;
  return { sessionId: id, user };
}

export async function deleteSession(db: PrismaClient, sessionId: string): Promise<void> {
  await db.session.deleteMany({ where: { id: sessionId } });
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      // A malformed value (a stray "%") is no session, not a server error on every request.
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export function sessionCookie(token: string | null, opts: { secure: boolean; expiresAt?: Date }): string {
  const attrs = ["Path=/", "HttpOnly", "SameSite=Lax"];
  if (opts.secure) attrs.push("Secure");
  if (token === null) return `${SESSION_COOKIE}=; ${attrs.join("; ")}; Max-Age=0`;
  return `${SESSION_COOKIE}=${encodeURIComponent(token)}; ${attrs.join("; ")}; Expires=${opts.expiresAt?.toUTCString()}`;
}
