// The statements every vote write ends in, set-based: whatever the number of votes, one INSERT for their history
// (Annotation) and one statement for the rest (each author's current vote, each image's resolved label, the leases the
// authors are done with, the numbered events). Both vote paths compute the outcome in memory first, in order, with
// resolve-label.ts: votes.ts (bulk labels, undo, reviews, accepted suggestions) and label-writer.ts (the socket's group
// commit); they share these statements, so a vote is stored the same way whichever path it took.
import type { LabelSource, Prisma } from "@fewlabel/db";
import type { ProjectEvent } from "@fewlabel/realtime";
import { eventRows } from "./project-events";

export interface AnnotationRow {
  projectId: string;
  imageId: string;
  classId: string | null;
  authorId: string;
  source: LabelSource;
  seq: number;
  unsure: boolean;
  previousClassId: string | null;
  clientLabelId: string | null;
  /** The annotation this one takes back (its id as text: ids are 64-bit). */
  undoOf: string | null;
  decision: boolean;
}

/** An author's vote on an image after the batch. */
export interface VoteRow {
  imageId: string;
  userId: string;
  projectId: string;
  classId: string | null;
  unsure: boolean;
  decision: boolean;
  seq: number;
}

/** An image's resolved label after the batch. */
export interface ImageLabelRow {
  id: string;
  classId: string | null;
  labelSource: LabelSource | null;
  decidedBy: string | null;
  votes: number;
  disagreement: boolean;
}

/** Timestamps as the jsonb rows carry them (timestamp(3) without zone, as Prisma stores DateTime). */
export const sqlTimestamp = (d: Date) => d.toISOString().replace("Z", "");

/** Appends the annotations; resolves with each one's id, keyed by annotationKey(projectId, seq). */
export async function insertAnnotations(tx: Prisma.TransactionClient, rows: AnnotationRow[], now: Date): Promise<Map<string, string>> {
  if (rows.length === 0) return new Map();
  const at = sqlTimestamp(now);
  const inserted = await tx.$queryRaw<{ id: bigint; projectId: string; seq: bigint }[]>`
    INSERT INTO "Annotation" ("projectId", "imageId", "classId", "authorId", "source", "seq", "unsure", "previousClassId", "clientLabelId", "undoOf", "decision", "createdAt")
    SELECT x."projectId", x."imageId", x."classId", x."authorId", x.source::"LabelSource", x.seq, x.unsure, x."previousClassId", x."clientLabelId", x."undoOf"::bigint, x.decision, ${at}::timestamp(3)
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(
      "projectId" text, "imageId" text, "classId" text, "authorId" text, source text, seq bigint, unsure boolean,
      "previousClassId" text, "clientLabelId" text, "undoOf" text, decision boolean)
    RETURNING id, "projectId", seq`;
  return new Map(inserted.map((r) => [annotationKey(r.projectId, Number(r.seq)), r.id.toString()]));
}

/** Annotations are told apart by project and sequence number (numbers repeat across projects in one batch). */
export const annotationKey = (projectId: string, seq: number) => `${projectId}/${seq}`;

/** Votes, image labels, freed leases and the event log in one statement (data-modifying CTEs). */
export async function writeVoteState(
  tx: Prisma.TransactionClient,
  rows: { votes: VoteRow[]; images: ImageLabelRow[]; leases: { imageId: string; userId: string }[]; events: ProjectEvent[] },
  now: Date,
): Promise<void> {
  const at = sqlTimestamp(now);
  await tx.$executeRaw`
    WITH votes AS (
      INSERT INTO "Vote" ("imageId", "userId", "projectId", "classId", "unsure", "decision", "seq", "updatedAt")
      SELECT x."imageId", x."userId", x."projectId", x."classId", x.unsure, x.decision, x.seq, ${at}::timestamp(3)
      FROM jsonb_to_recordset(${JSON.stringify(rows.votes)}::jsonb) AS x(
        "imageId" text, "userId" text, "projectId" text, "classId" text, unsure boolean, decision boolean, seq bigint)
      ON CONFLICT ("imageId", "userId") DO UPDATE SET "classId" = EXCLUDED."classId", unsure = EXCLUDED.unsure, decision = EXCLUDED.decision, seq = EXCLUDED.seq, "updatedAt" = EXCLUDED."updatedAt"
      RETURNING 1
    ), labels AS (
      UPDATE "Image" AS i SET "labelClassId" = x."classId", "labelSource" = x."labelSource"::"LabelSource",
        "labelledById" = x."decidedBy", "labelledAt" = CASE WHEN x."classId" IS NULL THEN NULL ELSE ${at}::timestamp(3) END,
        "voteCount" = x.votes, disagreement = x.disagreement
      FROM jsonb_to_recordset(${JSON.stringify(rows.images)}::jsonb) AS x(id text, "classId" text, "labelSource" text, "decidedBy" text, votes int, disagreement boolean)
      WHERE i.id = x.id
      RETURNING 1
    ), leases AS (
      DELETE FROM "Lease" l USING jsonb_to_recordset(${JSON.stringify(rows.leases)}::jsonb) AS x("imageId" text, "userId" text)
      WHERE l."imageId" = x."imageId" AND l."userId" = x."userId"
      RETURNING 1
    )
    INSERT INTO "ProjectEvent" ("projectId", "seq", "type", "payload", "actorId", "createdAt")
    SELECT x."projectId", x.seq, x.type, x.payload, x."actorId", x."createdAt"::timestamp(3)
    FROM jsonb_to_recordset(${JSON.stringify(eventRows(rows.events))}::jsonb)
      AS x("projectId" text, seq bigint, type text, payload jsonb, "actorId" text, "createdAt" text)`;
}
