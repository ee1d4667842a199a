// Model versions: what the trainer publishes after each finished stage. Files (model.json, weights, metadata.json
// per kind) go to the store under models/<projectId>/<versionId>/<kind>/<file>; the row numbers the version per
// project and keeps metrics and provenance. Published versions are never changed.
import type { PrismaClient } from "@fewlabel/db";
import type { ProjectEvent } from "@fewlabel/realtime";
import type { ImageStore } from "@fewlabel/storage";
import { z } from "zod";
import { type Actor, appendEvents } from "./project-events";

export const modelKinds = ["teacher", "student", "encoder"] as const;
export type ModelKind = (typeof modelKinds)[number];
export const MODEL_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function modelFileKey(projectId: string, versionId: string, kind: ModelKind, file: string): string {
  return `models/${projectId}/${versionId}/${kind}/${file}`;
}

/** A 95% confidence interval of an accuracy (Wilson score interval on the held-out count), both ends in 0..1. */
const accuracyInterval = z.object({ low: z.number().min(0).max(1), high: z.number().min(0).max(1) }).refine((i) => i.low <= i.high, { message: "An interval's low end must not exceed its high end." });

/** The trivial methods every version is scored against (issue 12): kNN (k=1, 5) and logistic regression on raw pixels, kNN on a randomly initialised encoder. */
export const baselineNames = ["pixel-1nn", "pixel-5nn", "pixel-linear", "random-encoder-knn"] as const;

/**
 * Metrics on held-out human labels. Rows of the confusion matrix are the true class, columns the prediction.
 * interval, baselines, trainLabels and head came with issue 12; versions published before lack them.
 */
export const modelMetrics = z.object({
  accuracy: z.number().min(0).max(1),
  heldOut: z.number().int().min(0),
  perClass: z.array(z.object({ classId: z.uuid(), accuracy: z.number().min(0).max(1).nullable(), count: z.number().int().min(0) })),
  confusion: z.array(z.array(z.number().int().min(0))),
  /**
   * What was measured: "classifier" (teacher/student), "knn" (nearest neighbours on the encoder's features),
   * "linear" (a linear probe on them).
   */
  method: z.enum(["classifier", "knn", "linear"]).default("classifier"),
  /** The student's agreement with its teacher on held-out images, for distilled versions. */
  teacherAgreement: z.number().min(0).max(1).optional(),
  interval: accuracyInterval.optional(),
  /** Baselines trained on the same training labels and scored on the same held-out labels as the version. */
  baselines: z
    .array(z.object({ name: z.enum(baselineNames), accuracy: z.number().min(0).max(1), interval: accuracyInterval.optional() }))
    .max(20)
    .optional(),
  /** Human labels the version was trained on (the held-out ones excluded). */
  trainLabels: z.number().int().min(0).optional(),
  /** The few-label heads tried, each scored on the held-out labels, and the one kept. */
  head: z
    .object({
      chosen: z.string().min(1).max(100),
      candidates: z.array(z.object({ name: z.string().min(1).max(100), accuracy: z.number().min(0).max(1) })).max(20),
    })
    .optional(),
});
export type ModelMetrics = z.infer<typeof modelMetrics>;

export const publishMeta = z.object({
  stage: z.enum(["PRETRAIN", "FINETUNE", "DISTIL"]),
  classIds: z.array(z.uuid()).max(10_000),
  metrics: modelMetrics.nullable(),
  provenance: z.record(z.string(), z.unknown()).default({}),
  imageCount: z.number().int().min(0),
  labelledCount: z.number().int().min(0),
  parentId: z.uuid().nullable().default(null),
});
export type PublishMeta = z.infer<typeof publishMeta>;

/** A model file already written to the store under `modelFileKey(projectId, versionId, kind, name)`. */
export interface StoredModelFile {
  kind: ModelKind;
  name: string;
}

/**
 * Publishes a version whose files the caller has streamed into the store under `versionId` (the route does, as they
 * arrive, so no model is ever whole in memory); numbering and the event happen in one transaction.
 */
export async function publishModelVersion(
  services: { db: PrismaClient; store: ImageStore },
  projectId: string,
  actor: Actor,
  meta: PublishMeta,
  versionId: string,
  files: StoredModelFile[],
): Promise<{ id: string; version: number; events: ProjectEvent[] }> {
  const { db } = services;
  const id = versionId;
  const byKind: Partial<Record<ModelKind, string[]>> = {};
  for (const f of files) (byKind[f.kind] ??= []).push(f.name);
  return db.$transaction(async (tx) => {
    // Versions are numbered under the project row's lock (the same lock the event sequence takes).
    await tx.$executeRaw`SELECT 1 FROM "Project" WHERE id = ${projectId} FOR UPDATE`;
    const last = await tx.modelVersion.findFirst({ where: { projectId }, orderBy: { version: "desc" }, select: { version: true } });
    const version = (last?.version ?? 0) + 1;
    await tx.modelVersion.create({
      data: {
        id,
        projectId,
        version,
        stage: meta.stage,
        classIds: meta.classIds,
        metrics: meta.metrics ?? undefined,
        provenance: meta.provenance as object,
        files: byKind,
        imageCount: meta.imageCount,
        labelledCount: meta.labelledCount,
        parentId: meta.parentId,
      },
    });
    const events = await appendEvents(tx, projectId, actor, [{ type: "model.published", data: { modelVersionId: id, version, stage: meta.stage, accuracy: meta.metrics?.accuracy ?? null } }]);
    return { id, version, events };
  });
}
