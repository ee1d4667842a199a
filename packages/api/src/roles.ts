// Project roles and what each may do. Ordered: an owner can do everything a reviewer can, a reviewer everything an
// annotator can. Every permission check in the api goes through `roleAtLeast`, so the ordering lives in one place.
import type { Role } from "@fewlabel/db";

const rank: Record<Role, number> = { ANNOTATOR: 1, REVIEWER: 2, OWNER: 3 };

export function roleAtLeast(role: Role | undefined, minimum: Role): boolean {
  return role !== undefined && rank[role] >= rank[minimum];
}

/** What each action needs; routers and HTTP routes name the action, not the role. */
export const permissions = {
  viewProject: "ANNOTATOR",
  label: "ANNOTATOR",
  export: "ANNOTATOR",
  upload: "REVIEWER",
  manageClasses: "OWNER",
  manageMembers: "OWNER",
  manageProject: "OWNER",
  /** Accept, correct or reject one model suggestion (confirming is labelling). */
  reviewSuggestion: "ANNOTATOR",
  /** Settle an image's label with a decision that wins over the votes' counts (review.decide, resolve-label.ts). */
  decideLabel: "REVIEWER",
  /** Accept every suggestion above a confidence threshold at once. */
  bulkAcceptSuggestions: "REVIEWER",
  /** Start, pause and resume training; trainer tokens; training settings. */
  manageTraining: "OWNER",
} as const satisfies Record<string, Role>;

export type Permission = keyof typeof permissions;
