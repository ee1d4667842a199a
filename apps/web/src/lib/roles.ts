// What the signed-in member may do in the UI: the api's own permission table (the api still enforces it).
import { permissions, roleAtLeast } from "@fewlabel/api/roles";
import type { Role } from "./api-types";

export { roleAtLeast };
export const canUpload = (role: Role | undefined) => roleAtLeast(role, permissions.upload);
export const canManage = (role: Role | undefined) => roleAtLeast(role, permissions.manageProject);
export const canReview = (role: Role | undefined) => roleAtLeast(role, "REVIEWER");
export const canDecide = (role: Role | undefined) => roleAtLeast(role, permissions.decideLabel);
