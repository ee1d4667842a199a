// Published model versions of a project: metrics on held-out human labels beside the baselines, which version serves
// (services/serving-model.ts: the best held-out accuracy, not the newest), provenance, and where to download the
// teacher and student (GET /api/models/:id/:kind/model.json for tf.loadLayersModel, /api/models/:id/:kind.zip).
import type { PrismaClient } from "@fewlabel/db";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { ModelMetrics } from "../services/model-versions";
import { assessVersions, type VersionAssessment } from "../services/serving-model";
import { projectProcedure, router } from "../trpc";

type Files = Partial<Record<"teacher" | "student" | "encoder", string[]>>;

interface VersionRow {
  id: string;
  version: number;
  stage: string;
  classIds: string[];
  metrics: unknown;
  provenance: unknown;
  files: unknown;
  imageCount: number;
  labelledCount: number;
  parentId: string | null;
  createdAt: Date;
}

/**
 * Why a version has no accuracy: it was made with fewer held-out labels than the trainer's minimum (the trainer
 * writes both counts into the provenance), so people see "N of M held-out labels" instead of a meaningless 0%.
 */
function heldOutShortfall(metrics: ModelMetrics | null, provenance: Record<string, unknown>): { heldOut: number; minHeldOut: number } | null {
  const { heldOutCount, minHeldOut } = provenance;
  if (metrics !== null || typeof heldOutCount !== "number" || typeof minHeldOut !== "number") return null;
  return { heldOut: heldOutCount, minHeldOut };
}

function present(v: VersionRow, assessment: VersionAssessment) {
  const files = v.files as Files;
  const metrics = v.metrics as ModelMetrics | null;
  const provenance = v.provenance as Record<string, unknown>;
  return {
    ...v,
    metrics,
    provenance,
    files,
    ...assessment,
    heldOutShortfall: heldOutShortfall(metrics, provenance),
    downloads: Object.fromEntries(Object.keys(files).map((kind) => [kind, { modelJson: `/api/models/${v.id}/${kind}/model.json`, zip: `/api/models/${v.id}/${kind}.zip` }])) as Partial<
      Record<keyof Files, { modelJson: string; zip: string }>
    >,
  };
}
export type PresentedModelVersion = ReturnType<typeof present>;

/**
 * Every version of the project, newest first, each with its assessment. Serving and regressions depend on the other
 * versions, so even one version is judged against the whole list (a project has tens of versions, not thousands).
 */
async function assessedVersions(db: PrismaClient, projectId: string) {
  const rows = await db.modelVersion.findMany({ where: { projectId }, orderBy: { version: "desc" } });
  const { serving, byId } = assessVersions(rows.map((r) => ({ ...r, metrics: r.metrics as ModelMetrics | null })));
  const list = rows.map((r) => present(r, byId.get(r.id)!));
  const find = (id: string | undefined) => list.find((v) => v.id === id) ?? null;
  return { list, serving: { teacher: find(serving.teacher?.id), student: find(serving.student?.id) } };
}

export const modelsRouter = router({
  /** Newest first; each version says whether it serves, how it compares with its baselines, and whether it regressed. */
  list: projectProcedure("viewProject").query(async ({ ctx }) => (await assessedVersions(ctx.db, ctx.access.projectId)).list),

  get: projectProcedure("viewProject")
    .input(z.object({ modelVersionId: z.uuid() }))
    .query(async ({ ctx, input }) => {
      const v = (await assessedVersions(ctx.db, ctx.access.projectId)).list.find((m) => m.id === input.modelVersionId);
      if (!v) throw new TRPCError({ code: "NOT_FOUND", message: "Model version not found." });
      return v;
    }),

  /** The versions that serve: the teacher behind suggestions and the student behind the default download and demo. */
  serving: projectProcedure("viewProject").query(async ({ ctx }) => (await assessedVersions(ctx.db, ctx.access.projectId)).serving),

  /**
   * The serving student (the in-browser demo's and the default download's), or null. Named before issue 12, when it
   * was the newest student; the name is kept so its callers need not change.
   */
  latestStudent: projectProcedure("viewProject").query(async ({ ctx }) => (await assessedVersions(ctx.db, ctx.access.projectId)).serving.student),
});
