// Near-duplicate groups for a project (issue 17, item 3): the trainer holds every image's pixels and embeddings, so it
// finds the groups (packages/ml's nearDuplicates: thumbnails and embeddings for candidates, aligned correlation to
// verify) and posts them for reviewers. A group whose labelled images fall on both sides of the held-out split is
// flagged: a copy scored on what its twin trained inflates held-out accuracy.
import { alignedSimilarity, duplicateGroups, type PairSimilarity, type Pixels, scoreDuplicateCandidates } from "@fewlabel/ml";
import { isHeldOut } from "./holdout";

export interface DuplicateInput {
  id: string;
  labelClassId: string | null;
  labelSource: string | null;
}

export interface FoundGroup {
  imageIds: string[];
  similarity: number;
  straddlesHoldout: boolean;
}

/**
 * The groups among `images` (each with its pixels; `features`, when given, the encoder embeddings in the same order).
 * `heldOutActive`: whether the project holds labels out now (splitLabels), without which nothing straddles. `verified`
 * keeps each compared pair's similarities by image ids across calls: after an upload only pairs with a new image (or
 * new candidates) are compared, the slow part.
 */
export async function findDuplicateGroups(
  images: DuplicateInput[],
  pixels: Pixels[],
  features: { data: Float32Array; dim: number } | null,
  heldOutActive: boolean,
  verified: Map<string, PairSimilarity> = new Map(),
): Promise<FoundGroup[]> {
  const key = (a: number, b: number) => `${images[a]!.id}:${images[b]!.id}`;
  const scored = await scoreDuplicateCandidates(pixels, { ...(features ? { embeddings: { features: features.data, dim: features.dim } } : {}), known: (a, b) => verified.get(key(a, b)) });
  for (const p of scored) verified.set(key(p.a, p.b), { coarse: p.coarse, fine: p.fine });
  // Joining groups may verify pairs that were not candidates; they are kept with the rest.
  const verify = (a: number, b: number) => {
    const s = verified.get(key(a, b)) ?? alignedSimilarity(pixels[a]!, pixels[b]!);
    verified.set(key(a, b), s);
    return s;
  };
  return duplicateGroups(pixels, scored, undefined, verify).map((g) => {
    const members = g.members.map((i) => images[i]!);
    return { imageIds: members.map((m) => m.id), similarity: Math.round(g.similarity * 1e4) / 1e4, straddlesHoldout: straddlesHoldout(members, heldOutActive) };
  });
}

/** Whether a group has a held-out label (splitLabels: a human label whose image hashes into the held-out fifth) and a label that trains. */
export function straddlesHoldout(members: readonly DuplicateInput[], heldOutActive: boolean): boolean {
  if (!heldOutActive) return false;
  const heldOut = (m: DuplicateInput) => m.labelClassId !== null && (m.labelSource === "HUMAN" || m.labelSource === "IMPORT") && isHeldOut(m.id);
  return members.some(heldOut) && members.some((m) => m.labelClassId !== null && !heldOut(m));
}
