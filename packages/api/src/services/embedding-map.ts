// The embedding map (issue 17, item 4): every image as a point on a 2D projection of its encoder embedding, which the
// trainer computes (apps/trainer/src/embedding-map.ts) and posts beside the embeddings. The web app draws the points
// coloured by label, suggestion or confidence, and a lasso on them becomes a selection the grid can show.
import type { PrismaClient } from "@fewlabel/db";
import { LabellingError } from "./votes";

export interface PostedMapPoint {
  imageId: string;
  x: number;
  y: number;
  /** The image's k-means cluster among the version's embeddings (the DIVERSE work order). */
  cluster?: number;
}

/** Most points one post carries. */
export const MAX_MAP_POINTS_PER_POST = 5000;

/**
 * Places images of the project on the map of one encoder version. A point is kept only for an image embedded by that
 * version (the map is a projection of those embeddings); the others are counted as skipped.
 */
export async function postMapPoints(db: PrismaClient, projectId: string, modelVersionId: string, points: PostedMapPoint[]): Promise<{ stored: number; skipped: number }> {
  if (points.some((p) => !Number.isFinite(p.x) || !Number.isFinite(p.y))) throw new LabellingError("bad_request", "A map point must have finite coordinates.");
  if (!(await db.modelVersion.findFirst({ where: { id: modelVersionId, projectId }, select: { id: true } }))) throw new LabellingError("not_found", "Model version not found in this project.");
  const latest = new Map(points.map((p) => [p.imageId, p]));
  const ids = [...latest.keys()];
  // One statement for the whole post: the set of (id, x, y) joined to the version's embeddings of this project.
  const stored = await db.$executeRaw`
    UPDATE "ImageEmbedding" AS e SET "mapX" = v.x, "mapY" = v.y, "cluster" = v.cluster
    FROM unnest(${ids}::text[], ${ids.map((id) => latest.get(id)!.x)}::float8[], ${ids.map((id) => latest.get(id)!.y)}::float8[], ${ids.map((id) => latest.get(id)!.cluster ?? null)}::int[])
      AS v(id, x, y, cluster)
    WHERE e."imageId" = v.id AND e."projectId" = ${projectId} AND e."modelVersionId" = ${modelVersionId}`;
  return { stored, skipped: points.length - stored };
}

export interface EmbeddingMap {
  /** The encoder version the points come from (null: no image is on a map yet). */
  modelVersionId: string | null;
  version: number | null;
  /** The project's classes in the order `label` and `suggestion` index them. */
  classIds: string[];
  ids: string[];
  /** x0, y0, x1, y1, …: each point in 0-1. */
  xy: number[];
  /** Index into classIds of each image's label, -1 for none. */
  label: number[];
  /** Index into classIds of each unlabelled image's pending suggestion, -1 for none. */
  suggestion: number[];
  /** The pending suggestion's confidence (0-1), -1 for none. */
  confidence: number[];
  /** Images of the project not on this map yet (uploaded after it was made, or not embedded). */
  missing: number;
}

/** The project's newest map: the points of the encoder version that has placed the most images (newest on ties). */
export async function embeddingMap(db: PrismaClient, projectId: string): Promise<EmbeddingMap> {
  const versions = await db.imageEmbedding.groupBy({ by: ["modelVersionId"], where: { projectId, mapX: { not: null } }, _count: { _all: true }, _max: { updatedAt: true } });
  const classIds = (await db.labelClass.findMany({ where: { projectId }, orderBy: { position: "asc" }, select: { id: true } })).map((c) => c.id);
  const total = await db.image.count({ where: { projectId, hiddenAt: null } });
  const best = versions.sort((a, b) => b._count._all - a._count._all || (b._max.updatedAt?.getTime() ?? 0) - (a._max.updatedAt?.getTime() ?? 0))[0];
  if (!best) return { modelVersionId: null, version: null, classIds, ids: [], xy: [], label: [], suggestion: [], confidence: [], missing: total };
  const [model, rows, pending] = await Promise.all([
    db.modelVersion.findUniqueOrThrow({ where: { id: best.modelVersionId }, select: { version: true } }),
    db.imageEmbedding.findMany({
      where: { projectId, modelVersionId: best.modelVersionId, mapX: { not: null }, image: { hiddenAt: null } },
      select: { imageId: true, mapX: true, mapY: true, image: { select: { labelClassId: true } } },
      orderBy: { imageId: "asc" },
    }),
    db.pseudoLabel.findMany({ where: { projectId, status: "PENDING", image: { labelClassId: null, hiddenAt: null } }, select: { imageId: true, classId: true, confidence: true } }),
  ]);
  const classIndex = new Map(classIds.map((id, i) => [id, i]));
  const suggested = new Map(pending.map((p) => [p.imageId, p]));
  const round = (v: number) => Math.round(v * 1e5) / 1e5;
  const map: EmbeddingMap = { modelVersionId: best.modelVersionId, version: model.version, classIds, ids: [], xy: [], label: [], suggestion: [], confidence: [], missing: total - rows.length };
  for (const r of rows) {
    const s = suggested.get(r.imageId);
    map.ids.push(r.imageId);
    map.xy.push(round(r.mapX!), round(r.mapY!));
    map.label.push(r.image.labelClassId ? (classIndex.get(r.image.labelClassId) ?? -1) : -1);
    map.suggestion.push(s ? (classIndex.get(s.classId) ?? -1) : -1);
    map.confidence.push(s ? round(s.confidence) : -1);
  }
  return map;
}
