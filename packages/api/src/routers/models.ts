// Published model versions of a project: metrics on held-out human labels, provenance, and where to download the
// teacher and student (GET /api/models/:id/:kind/model.json for tf.loadLayersModel, /api/models/:id/:kind.zip).
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { ModelMetrics } from "../services/model-versions";
import { projectProcedure, router } from "../trpc";

type Files = Partial<Record<"teacher" | "student" | "encoder", string[]>>;

function present(v: { id: string; version: number; stage: string; classIds: string[]; metrics: unknown; provenance: unknown; files: unknown; imageCount: number; labelledCount: number; parentId: string | null; createdAt: Date }) {
  const files = v.files as Files;
  return {
    ...v,
    metrics: v.metrics as ModelMetrics | null,
    provenance: v.provenance as Record<string, unknown>,
    files,
    downloads: Object.fromEntries(
      Object.keys(files).map((kind) => [kind, { modelJson: `/api/models/${v.id}/${kind}/model.json`, zip: `/api/models/${v.id}/${kind}.zip` }]),
    ) as Partial<Record<keyof Files, { modelJson: string; zip: string }>>,
  };
}

export const modelsRouter = router({
  list: projectProcedure("viewProject").query(async ({ ctx }) =>
    (await ctx.db.modelVersion.findMany({ where: { projectId: ctx.access.projectId }, orderBy: { version: "desc" } })).map(present),
  ),

  get: projectProcedure("viewProject")
    .input(z.object({ modelVersionId: z.uuid() }))
    .query(async ({ ctx, input }) => {
      const v = await ctx.db.modelVersion.findFirst({ where: { id: input.modelVersionId, projectId: ctx.access.projectId } });
      if (!v) throw new TRPCError({ code: "NOT_FOUND", message: "Model version not found." });
      return present(v);
    }),

  /** The newest version that has a student (for the in-browser demo), or null. */
  latestStudent: projectProcedure("viewProject").query(async ({ ctx }) => {
    const v = await ctx.db.modelVersion.findFirst({ where: { projectId: ctx.access.projectId, stage: "DISTIL" }, orderBy: { version: "desc" } });
    return v ? present(v) : null;
  }),
});
