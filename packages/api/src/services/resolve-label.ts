// The documented rule that turns annotators' votes on one image into the image's label:
//  1. Only votes that name a class count. Sure votes win over "unsure" ones: unsure votes are used only when no one
//     is sure.
//  2. The class with the most votes wins; a tie goes to the class whose latest vote came last (highest sequence
//     number), so with one annotator per image the label is simply the latest answer.
//  3. The image is listed as a disagreement for reviewers when its votes name more than one class, or any is unsure.
// Every vote stays stored with its author and time; resolving never discards one.
export interface VoteLike {
  userId: string;
  classId: string | null;
  unsure: boolean;
  seq: bigint | number;
}

export interface Resolution {
  classId: string | null;
  /** The author of the latest vote for the winning class. */
  decidedBy: string | null;
  voteCount: number;
  disagreement: boolean;
}

export function resolveLabel(votes: readonly VoteLike[]): Resolution {
  const named = votes.filter((v) => v.classId !== null);
  const sure = named.filter((v) => !v.unsure);
  const counted = sure.length > 0 ? sure : named;
  const tally = new Map<string, { count: number; latest: bigint; by: string }>();
  for (const v of counted) {
    const t = tally.get(v.classId!) ?? { count: 0, latest: -1n, by: v.userId };
    t.count++;
    if (BigInt(v.seq) > t.latest) {
      t.latest = BigInt(v.seq);
      t.by = v.userId;
    }
    tally.set(v.classId!, t);
  }
  let winner: [string, { count: number; latest: bigint; by: string }] | undefined;
  for (const entry of tally) {
    if (!winner || entry[1].count > winner[1].count || (entry[1].count === winner[1].count && entry[1].latest > winner[1].latest)) winner = entry;
  }
  return {
    classId: winner?.[0] ?? null,
    decidedBy: winner?.[1].by ?? null,
    voteCount: named.length,
    disagreement: new Set(named.map((v) => v.classId)).size > 1 || named.some((v) => v.unsure),
  };
}
