// Browsing a project's images: a cursor-paged list with filters (for the virtualised grid) and counts per class.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { Prisma, PrismaClient } from "@fewlabel/db";
import { embeddingMap } from "../services/embedding-map";
import { similarImages } from "../services/embeddings";
import { showImages } from "../services/duplicates";
import { MAX_SELECTION, saveSelection } from "../services/image-selections";
import { needsVoteWhere } from "../services/labelling";
import { projectProcedure, router } from "../trpc";

export const imageFilter = z.object({
  /** "hidden": only the images hidden as duplicates, which every other status leaves out. */
  status: z.enum(["all", "labelled", "unlabelled", "hidden"]).default("all"),
  classId: z.uuid().nullable().default(null),
  search: z.string().trim().max(200).default(""),
  /** Unlabelled images whose pending model suggestion is this class. */
  suggestedClassId: z.uuid().nullable().default(null),
  /**
   * "More like this": the images nearest to this one by the encoder's embeddings (at most SIMILAR_LIMIT, most similar
   * first, the image itself excluded); the other filters narrow them, `sort` does not apply.
   */
  similarTo: z.uuid().nullable().default(null),
  /** Only the images of a saved selection (images.saveSelection: a lasso on the embedding map). */
  selectionId: z.uuid().nullable().default(null),
  /**
   * The order: upload order (the work queue's, and the api's default), newest uploads first (the grid's default: what
   * was just uploaded is what people look for), by file name, or by the pending suggestion's confidence (images
   * without one after, newest first), least sure first to find the model's mistakes, most sure first to confirm the
   * easy ones.
   */
  sort: z.enum(["oldest", "newest", "name", "leastConfident", "mostConfident"]).default("oldest"),
});
export type ImageFilter = z.infer<typeof imageFilter>;

type ImageSort = Exclude<ImageFilter["sort"], "leastConfident" | "mostConfident">;
const orderOf: Record<ImageSort, Prisma.ImageOrderByWithRelationInput[]> = {
  oldest: [{ createdAt: "asc" }, { id: "asc" }],
  newest: [{ createdAt: "desc" }, { id: "desc" }],
  name: [{ filename: "asc" }, { id: "asc" }],
};
const byConfidence = { leastConfident: "asc", mostConfident: "desc" } as const;

const listSelect = { id: true, filename: true, width: true, height: true, labelClassId: true, labelSource: true, labelledAt: true } as const;

/** A pending suggestion that the review queue would show: the image is unlabelled (at most one per image). */
const pendingSuggestion: Prisma.PseudoLabelListRelationFilter = { some: { status: "PENDING" } };

/**
 * One page of the grid ordered by the pending suggestion's confidence: the images with one come first in that order
 * (read through the suggestions, whose (projectId, status, confidence) index does the sorting), then the rest, newest
 * first. Positions stay stable across pages, as with the other orders.
 */
async function pageByConfidence(db: Prisma.TransactionClient, projectId: string, where: Prisma.ImageWhereInput, order: "asc" | "desc", offset: number, limit: number) {
  const suggested: Prisma.PseudoLabelWhereInput = { projectId, status: "PENDING", image: { AND: [where, { labelClassId: null }] } };
  const rest: Prisma.ImageWhereInput = { AND: [where, { NOT: { labelClassId: null, pseudoLabels: pendingSuggestion } }] };
  const first = await db.pseudoLabel.count({ where: suggested });
  const head =
    offset < first
      ? (await db.pseudoLabel.findMany({ where: suggested, orderBy: [{ confidence: order }, { id: "asc" }], skip: offset, take: limit, select: { image: { select: listSelect } } })).map((p) => p.image)
      : [];
  const room = limit - head.length;
  const tail = room > 0 ? await db.image.findMany({ where: rest, orderBy: orderOf.newest, skip: Math.max(0, offset - first), take: room, select: listSelect }) : [];
  return [...head, ...tail];
}

export function imageWhere(projectId: string, f: ImageFilter): Prisma.ImageWhereInput {
  return {
    projectId,
    hiddenAt: f.status === "hidden" ? { not: null } : null,
    ...(f.classId ? { labelClassId: f.classId } : f.status === "labelled" ? { labelClassId: { not: null } } : {}),
    ...(f.status === "unlabelled" ? { labelClassId: null } : {}),
    ...(f.search ? { filename: { contains: f.search, mode: "insensitive" as const } } : {}),
    ...(f.suggestedClassId ? { labelClassId: null, pseudoLabels: { some: { status: "PENDING", classId: f.suggestedClassId } } } : {}),
    // A selection id of another project matches nothing here: its images are not this project's.
    ...(f.selectionId ? { selections: { some: { selectionId: f.selectionId } } } : {}),
  };
}

type ListItem = Prisma.ImageGetPayload<{ select: typeof listSelect }>;

/** A page of the grid. */
export interface ImagePage {
  items: ListItem[];
  total: number;
  offset: number;
  nextCursor: number | null;
  /** "More like this": each listed image's cosine similarity to the chosen one. */
  similarity?: Record<string, number> | null;
  /** "More like this" for an image the trainer has not embedded yet. */
  noEmbedding?: boolean;
}

/** How many neighbours "more like this" lists. */
export const SIMILAR_LIMIT = 200;

/** A page of an image's nearest neighbours that pass the other filters, in similarity order. */
async function similarPage(db: PrismaClient, projectId: string, imageId: string, where: Prisma.ImageWhereInput, offset: number, limit: number): Promise<ImagePage> {
  const near = await similarImages(db, projectId, imageId, SIMILAR_LIMIT);
  if (!near) return { items: [], total: 0, offset, nextCursor: null, similarity: null, noEmbedding: true };
  const passing = await db.image.findMany({ where: { AND: [where, { id: { in: near.map((n) => n.imageId) } }] }, select: listSelect });
  const byId = new Map(passing.map((p) => [p.id, p]));
  const ranked = near.filter((n) => byId.has(n.imageId));
  const page = ranked.slice(offset, offset + limit);
  const next = offset + page.length;
  return {
    items: page.map((n) => byId.get(n.imageId)!),
    total: ranked.length,
    offset,
    nextCursor: next < ranked.length ? next : null,
    similarity: Object.fromEntries(page.map((n) => [n.imageId, n.similarity])),
    noEmbedding: false,
  };
}

export const imagesRouter = router({
  list: projectProcedure("viewProject")
    .input(
      z.object({
        filter: imageFilter.default({ status: "all", classId: null, search: "", suggestedClassId: null, similarTo: null, selectionId: null, sort: "oldest" }),
        cursor: z.number().int().min(0).nullish(),
        limit: z.number().int().min(1).max(1000).default(300),
      }),
    )
    .query(async ({ ctx, input }) => {
      // Offset paging keyed by position: the grid knows the total and asks for the page under the viewport.
      const where = imageWhere(ctx.access.projectId, input.filter);
      const offset = input.cursor ?? 0;
      const sort = input.filter.sort;
      if (input.filter.similarTo) return similarPage(ctx.db, ctx.access.projectId, input.filter.similarTo, where, offset, input.limit);
      const [total, items] = await Promise.all([
        ctx.db.image.count({ where }),
        sort === "leastConfident" || sort === "mostConfident"
          ? pageByConfidence(ctx.db, ctx.access.projectId, where, byConfidence[sort], offset, input.limit)
          : ctx.db.image.findMany({ where, orderBy: orderOf[sort], skip: offset, take: input.limit, select: listSelect }),
      ]);
      const next = offset + items.length;
      return { items, total, offset, nextCursor: next < total ? next : null } satisfies ImagePage as ImagePage;
    }),

  stats: projectProcedure("viewProject").query(async ({ ctx }) => {
    const projectId = ctx.access.projectId;
    const [rows, project] = await Promise.all([
      ctx.db.image.groupBy({ by: ["labelClassId"], where: { projectId, hiddenAt: null }, _count: { _all: true } }),
      ctx.db.project.findUniqueOrThrow({ where: { id: projectId }, select: { annotatorsPerImage: true } }),
    ]);
    const perClass = rows.filter((r) => r.labelClassId !== null).map((r) => ({ classId: r.labelClassId!, count: r._count._all }));
    const total = rows.reduce((s, r) => s + r._count._all, 0);
    const unlabelled = rows.find((r) => r.labelClassId === null)?._count._all ?? 0;
    // The labelling view's "to go", counted as the work queue counts it, kept live with the rest of these figures.
    const [toGo, hidden] = await Promise.all([
      ctx.db.image.count({ where: needsVoteWhere(projectId, project.annotatorsPerImage) }),
      ctx.db.image.count({ where: { projectId, hiddenAt: { not: null } } }),
    ]);
    return { total, labelled: total - unlabelled, unlabelled, perClass, toGo, hidden };
  }),

  get: projectProcedure("viewProject")
    .input(z.object({ imageId: z.uuid() }))
    .query(async ({ ctx, input }) => {
      const image = await ctx.db.image.findFirst({
        where: { id: input.imageId, projectId: ctx.access.projectId },
        include: { labelClass: true, uploadedBy: { select: { name: true } } },
      });
      if (!image) throw new TRPCError({ code: "NOT_FOUND", message: "Image not found." });
      return image;
    }),

  /** The embedding map: every placed image's point, label, pending suggestion and its confidence. */
  map: projectProcedure("viewProject").query(({ ctx }) => embeddingMap(ctx.db, ctx.access.projectId)),

  /** Saves a set of the project's images (a lasso on the map) for the grid's `selectionId` filter. */
  saveSelection: projectProcedure("viewProject")
    .input(z.object({ imageIds: z.array(z.uuid()).min(1).max(MAX_SELECTION) }))
    .mutation(({ ctx, input }) => saveSelection(ctx.db, ctx.access.projectId, ctx.user.id, input.imageIds)),

  /** Shows images hidden as duplicates again (the grid's "Hidden" view). */
  show: projectProcedure("decideLabel")
    .input(z.object({ imageIds: z.array(z.uuid()).min(1).max(1000) }))
    .mutation(async ({ ctx, input }) => {
      const events = await showImages(ctx.db, ctx.access.projectId, { id: ctx.user.id, name: ctx.user.name }, input.imageIds);
      ctx.broadcaster?.publish(events);
      return { shown: events.flatMap((e) => (e.type === "images.hidden" ? e.data.imageIds : [])).length };
    }),

  /** Every change to one image's label: who, when, from what, to what. */
  history: projectProcedure("viewProject")
    .input(z.object({ imageId: z.uuid() }))
    .query(async ({ ctx, input }) => {
      const rows = await ctx.db.annotation.findMany({
        where: { imageId: input.imageId, projectId: ctx.access.projectId },
        orderBy: { id: "asc" },
        include: { author: { select: { id: true, name: true } } },
      });
      return rows.map((r) => ({
        id: r.id.toString(),
        seq: r.seq === null ? null : Number(r.seq),
        author: r.author,
        classId: r.classId,
        previousClassId: r.previousClassId,
        unsure: r.unsure,
        source: r.source,
        undo: r.undoOf !== null,
        /** A reviewer's decision (review.decide), which names the label whatever the votes' counts. */
        decision: r.decision,
        createdAt: r.createdAt,
      }));
    }),
});
