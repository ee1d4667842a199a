// Stage 1, SimCLR v2's contrastive pretraining of the encoder on every image of the project (labels unused): the
// first run, its extensions while the project is idle, resumed from the "pretrain" slot's checkpoint; publishes the
// encoder as a version scored by kNN on its features.
import { createOptimizer, checkMirrorInvariance, defaultAugmentConfig, pretrainContrastive } from "@fewlabel/ml";
import { peekCheckpoint, resumeStage, uploadCheckpoint } from "../checkpoints";
import { chooseInputSize } from "../input-size";
import { stageSteps } from "../budget";
import type { Action } from "../reconcile";
import { runStage, type StageRunContext } from "../stage-run";
import type { ProjectState, StageHost } from "../project-trainer";
import { type ModelSpec, sameSpec } from "./model-spec";

export async function runPretrain(host: StageHost, ctx: StageRunContext, state: ProjectState, action: Extract<Action, { kind: "pretrain" }>) {
  const ids = state.images.map((i) => i.id);
  const previous = await peekCheckpoint<{ spec: ModelSpec; run: number; done: boolean }>(host.api, host.projectId, "pretrain");
  // The input size: as set, else the encoder's so far, else chosen from the images and the hardware. Known before
  // the images load, since their working copies are kept for it.
  const chosen = host.cfg.inputSize ?? previous?.info.extra?.spec.inputSize ?? null;
  const choice = chosen === null ? chooseInputSize({ accelerator: host.accelerator, images: state.images }) : null;
  if (choice) host.log(`pretrain: input ${choice.why}`);
  const inputSize = chosen ?? choice!.size;
  host.cache.useInputSize(inputSize);
  const { usable, skipped } = await host.load(ids);
  if (usable.length < 2) throw new Error("fewer than two readable images");
  const channels = previous?.info.extra?.spec.channels ?? host.cache.channelsFor(usable);
  const images = host.cache.source(usable, channels);
  // Flips as augmentation only where mirrored images still look like the data (digits, text and oriented objects
  // do not); decided once per encoder, so every extension and every stage after it augments the same way.
  const mirror = previous?.info.extra?.spec.mirrorSafe === undefined ? await checkMirrorInvariance(images) : null;
  if (mirror) host.log(`pretrain: mirrored images ${mirror.mirrorSafe ? "look like the data: flips on" : "do not look like the data: flips off"} (ratio ${mirror.ratio.toFixed(2)})`);
  const spec: ModelSpec = {
    inputSize,
    channels,
    widths: host.cfg.encoderWidths,
    blocks: host.cfg.encoderBlocks,
    projectionDim: host.cfg.projectionDim,
    mirrorSafe: mirror ? mirror.mirrorSafe : previous!.info.extra!.spec.mirrorSafe!,
  };
  const { encoder, projectionHead } = host.buildPretrainModels(spec);
  const optimizer = createOptimizer("adam", host.cfg.learningRate);
  // Same run interrupted: weights and optimizer, from its step. An earlier run of this encoder: its weights, extended.
  const startStep = await resumeStage(previous, { encoder, projectionHead }, optimizer, {
    sameRun: (p) => p.run === action.run && sameSpec(p.spec, spec),
    warmStart: (p) => sameSpec(p.spec, spec),
  });
  const batchSize = Math.min(host.cfg.batchSize, usable.length);
  const totalSteps = action.extend
    ? stageSteps({ epochs: host.cfg.pretrainExtendEpochs, steps: host.cfg.pretrainExtendSteps }, usable.length, batchSize)
    : stageSteps({ epochs: host.cfg.pretrainEpochs, steps: host.cfg.pretrainSteps }, usable.length, batchSize);
  const extra = { spec, run: action.run };
  try {
    const out = await runStage(ctx, { stage: "pretrain", totalSteps, startStep, skipped, checkpoint: { slot: "pretrain", models: { encoder, projectionHead }, optimizer, extra } }, (hooks) =>
      pretrainContrastive({
        encoder,
        projectionHead,
        images,
        steps: totalSteps,
        batchSize,
        optimizer: "adam",
        learningRate: host.cfg.learningRate,
        optimizerInstance: optimizer,
        augment: defaultAugmentConfig(spec.inputSize, spec.channels, 0.5, { mirrorSafe: spec.mirrorSafe }),
        seed: host.cfg.seed + action.run,
        workers: host.workers,
        prefetch: host.batchWorkers(spec.inputSize),
        ...hooks,
      }),
    );
    await uploadCheckpoint(host.api, host.projectId, ctx.lease.leaseId, "pretrain", { stage: "pretrain", nextStep: totalSteps, extra: { ...extra, done: true } }, { encoder, projectionHead });
    const { metrics, heldOut } = await host.encoderMetrics(state, encoder, spec);
    const losses = out.result.losses;
    const version = await host.api.publishModel(
      host.projectId,
      ctx.lease.leaseId,
      {
        stage: "PRETRAIN",
        classIds: state.classes.map((c) => c.id),
        metrics,
        provenance: {
          ...host.runProvenance(totalSteps, startStep, losses),
          images: usable.length,
          ...host.heldOutProvenance(heldOut),
          config: spec,
        },
        imageCount: ids.length,
        labelledCount: state.counts.labelled,
      },
      [],
    );
    await out.finish({ accuracy: metrics?.accuracy ?? null });
    host.log(`pretrain: published version ${version.version}${metrics ? `, kNN accuracy ${(metrics.accuracy * 100).toFixed(1)}% on ${metrics.heldOut} held-out labels` : ""}`);
  } finally {
    encoder.dispose();
    projectionHead.dispose();
    optimizer.dispose();
  }
}
