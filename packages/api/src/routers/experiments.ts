// Label-efficiency experiments on a project (services/experiments.ts): members see them, owners start and cancel.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { cancelExperiment, ExperimentError, listExperiments, startExperiment } from "../services/experiments";
import { projectProcedure, router } from "../trpc";

const asTrpc = (err: unknown): never => {
  if (err instanceof ExperimentError) throw new TRPCError({ code: err.code, message: err.message });
  throw err;
};

export const experimentsRouter = router({
  list: projectProcedure("viewProject").query(({ ctx }) => listExperiments(ctx, ctx.access.projectId)),

  start: projectProcedure("manageProject")
    .input(
      z.object({
        budget: z.enum(["tiny", "quick", "full"]).default("quick"),
        labelFractions: z.array(z.number().gt(0, "A label fraction must be above 0%.").lt(1, "A label fraction must be below 100%.")).min(1, "Choose at least one label fraction.").max(4),
        seed: z
          .number()
          .int()
          .min(0)
          .max(2 ** 31 - 1)
          .default(0),
        testFraction: z.number().gt(0).max(0.5).default(0.2),
      }),
    )
    .mutation(({ ctx, input }) => startExperiment(ctx, ctx.access.projectId, ctx.user.id, input).catch(asTrpc)),

  cancel: projectProcedure("manageProject")
    .input(z.object({ experimentId: z.uuid() }))
    .mutation(({ ctx, input }) => cancelExperiment(ctx.db, ctx.access.projectId, input.experimentId).catch(asTrpc)),
});
