// The documented rule that turns votes on one image into the image's label:
//  1. Only votes that name a class count.
//  2. A reviewer's decision settles the image: when any current vote is a decision, the latest decision (highest
//     sequence number) names the label whatever the counts. The image is listed for reviewers again only when a vote
//     cast after that decision names another class; the decision stays in force until a reviewer decides again (or
//     the decider withdraws it: undo, or a plain vote of theirs replaces it).
//  3. Without a decision: sure votes win over "unsure" ones (unsure votes are used only when no one is sure); the
//     class with the most votes wins; a tie goes to the class whose latest vote came last (highest sequence number),
//     so with one annotator per image the label is simply the latest answer.
//  4. Without a decision, the image is listed as a disagreement for reviewers when its votes name more than one
//     class, or any is unsure.
// Every vote stays stored with its author and time; resolving never discards one.
export interface VoteLike {
  userId: string;
  classId: string | null;
  unsure: boolean;
  seq: bigint | number;
  /** A reviewer's decision (absent: a plain vote). */
  decision?: boolean;
}

export interface Resolution {
  classId: string | null;
  /** The author of the deciding vote: the latest decision, or the latest vote for the winning class. */
  decidedBy: string | null;
  voteCount: number;
  disagreement: boolean;
}

export function resolveLabel(votes: readonly VoteLike[]): Resolution {
  const named = votes.filter((v) => v.classId !== null);
  const decision = latest(named.filter((v) => v.decision));
  if (decision) {
    return {
      classId: decision.classId,
      decidedBy: decision.userId,
      voteCount: named.length,
      disagreement: named.some((v) => BigInt(v.seq) > BigInt(decision.seq) && v.classId !== decision.classId),
    };
  }
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

function latest(votes: readonly VoteLike[]): VoteLike | undefined {
  return votes.reduce<VoteLike | undefined>((best, v) => (!best || BigInt(v.seq) > BigInt(best.seq) ? v : best), undefined);
}
