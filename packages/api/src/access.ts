// Authorization, written once: who may do what in which project. tRPC procedures (trpc.ts) and plain HTTP routes
// (http/) both call `requireProjectAccess`; nothing else decides access.
import type { PrismaClient, Role } from "@fewlabel/db";
import type { ResolvedSession } from "./auth/sessions";
import type { TrainerIdentity } from "./auth/trainer-tokens";
import { type Permission, permissions, roleAtLeast } from "./roles";

export type AccessFailure = "unauthenticated" | "not_found" | "forbidden";

export class AccessError extends Error {
  constructor(
    readonly failure: AccessFailure,
    message: string,
  ) {
    super(message);
    this.name = "AccessError";
  }
}

export const httpStatusOf: Record<AccessFailure, number> = { unauthenticated: 401, not_found: 404, forbidden: 403 };

export interface ProjectAccess {
  projectId: string;
  userId: string;
  role: Role;
}

export function requireSignedIn(session: ResolvedSession | null): ResolvedSession {
  if (!session) throw new AccessError("unauthenticated", "Sign in first.");
  return session;
}

/**
 * Resolves the caller's role in a project and checks it allows `permission`. Non-members get "not found", so a
 * project's existence is not revealed to outsiders.
 */
export async function requireProjectAccess(db: PrismaClient, session: ResolvedSession | null, projectId: string, permission: Permission): Promise<ProjectAccess> {
  const { user } = requireSignedIn(session);
  const membership = await db.membership.findUnique({
    where: { projectId_userId: { projectId, userId: user.id } },
    select: { role: true },
  });
  if (!membership) throw new AccessError("not_found", "Project not found.");
  const needed = permissions[permission];
  if (!roleAtLeast(membership.role, needed)) {
    throw new AccessError("forbidden", `This needs the ${needed.toLowerCase()} role; you are ${membership.role.toLowerCase()}.`);
  }
  return { projectId, userId: user.id, role: membership.role };
}

/**
 * A trainer may work on a project when its token is for that project (or is the instance's local-trainer token) and
 * the project exists. Revoked tokens never resolve to a trainer; a token of another project gets "not found".
 */
export async function requireTrainerAccess(db: PrismaClient, trainer: TrainerIdentity | null, projectId: string): Promise<TrainerIdentity> {
  if (!trainer) throw new AccessError("unauthenticated", "A valid trainer token is required (Authorization: Bearer <token>).");
  if (trainer.projectId !== null && trainer.projectId !== projectId) throw new AccessError("not_found", "Project not found.");
  if (trainer.projectId === null && (await db.project.count({ where: { id: projectId } })) === 0) throw new AccessError("not_found", "Project not found.");
  return trainer;
}
