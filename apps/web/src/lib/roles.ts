// What the signed-in member may do in the UI; mirrors the api's permission table (the api still enforces it).
import type { Role } from "./api-types";

const rank: Record<Role, number> = { ANNOTATOR: 1, REVIEWER: 2, OWNER: 3 };

export function roleAtLeast(role: Role | undefined, minimum: Role): boolean {
  return role !== undefined && rank[role] >= rank[minimum];
}

export const canUpload = (role: Role | undefined) => roleAtLeast(role, "REVIEWER");
export const canManage = (role: Role | undefined) => roleAtLeast(role, "OWNER");
