// Stage 2, fine-tuning on the labelled images from the pretrained encoder (the classifier head starts from the
// projection head's first layer), with the few-label heads scored beside it on held-out labels; publishes the teacher.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { copyWeightsByLayerName, createClassifierHead, createOptimizer, fineTuneAugmentConfig, encoderClassifier, fineTune, tf } from "@fewlabel/ml";
import { assembleTeacher, exportModel } from "@fewlabel/ml/node";
import { peekCheckpoint, restoreCheckpoint, resumeStage, uploadCheckpoint } from "../checkpoints";
import { preferLinearHead, trainLinearHead } from "../linear-head";
import { expertsLogits, keepPixelExpert, PIXEL_EXPERT_WEIGHT, type PixelExpertWeights, trainPixelExpert } from "../pixel-expert";
import { stageSteps } from "../budget";
import type { Action } from "../reconcile";
import { runStage, type StageRunContext } from "../stage-run";
import type { ProjectState, StageHost } from "../project-trainer";
import { type ModelSpec, sameSpec } from "./model-spec";
import { readExport } from "./read-export";

/** The head name of a fine-tuned teacher with the pixel expert beside it (pixel-expert.ts). */
export const FINE_TUNED_WITH_PIXELS = "fine-tuned + logistic regression on pixels and edges";

export async function runFineTune(host: StageHost, ctx: StageRunContext, state: ProjectState, action: Extract<Action, { kind: "finetune" }>) {
  const pretrained = await peekCheckpoint<{ spec: ModelSpec; done: boolean }>(host.api, host.projectId, "pretrain");
  if (!pretrained?.info.extra?.done) throw new Error("no finished pretraining checkpoint to fine-tune from");
  const spec = pretrained.info.extra.spec;
  host.cache.useInputSize(spec.inputSize);
  const classIds = state.classes.map((c) => c.id);
  const { train, heldOut } = await host.labelledSets(state, classIds);
  if (train.ids.length === 0) throw new Error("no readable labelled images to fine-tune on");
  const { encoder, projectionHead, dim } = host.buildPretrainModels(spec);
  await restoreCheckpoint(pretrained.blob, { encoder, projectionHead });
  const headConfig = { inputDim: dim, hiddenDim: dim, numClasses: classIds.length, seed: host.cfg.seed + 200 };
  const classifierHead = createClassifierHead(headConfig);
  copyWeightsByLayerName(projectionHead, classifierHead);
  const source = host.cache.source(train.ids, spec.channels);
  const images = source.get(train.ids.map((_, i) => i));
  const sets = host.scoringSets(train, heldOut, spec, classIds);
  // The other few-label head (SimCLR's linear evaluation): a linear classifier on the frozen pretrained features,
  // trained in seconds before fine-tuning (or a resumed fine-tune's checkpoint) changes the encoder; the one that
  // scores better on held-out labels serves.
  const pretrainedWeights = encoder.getWeights().map((w) => w.clone());
  const linearHead = await trainLinearHead({ encoder, images, labels: train.labels, numClasses: classIds.length, seed: host.cfg.seed + 250 });
  const linearMetrics = await host.scorer.classifier(sets, (x) => linearHead.apply(encoder.apply(x, { training: false }) as tf.Tensor, { training: false }) as tf.Tensor2D, "linear");
  const optimizer = createOptimizer("adam", host.cfg.learningRate);
  const extra = { spec, run: action.run, classIds };
  const startStep = await resumeStage(await peekCheckpoint<typeof extra>(host.api, host.projectId, "finetune"), { encoder, classifierHead }, optimizer, {
    sameRun: (p) => p.run === action.run && sameSpec(p.spec, spec) && JSON.stringify(p.classIds) === JSON.stringify(classIds),
  });
  const totalSteps = stageSteps({ epochs: host.cfg.finetuneEpochs, steps: host.cfg.finetuneSteps }, train.ids.length, host.cfg.batchSize);
  const teacher = encoderClassifier(encoder, classifierHead);
  const exportDir = await mkdtemp(path.join(os.tmpdir(), "fewlabel-teacher-"));
  let pixelExpert: PixelExpertWeights | null = null;
  try {
    const out = await runStage(ctx, { stage: "finetune", totalSteps, startStep, checkpoint: { slot: "finetune", models: { encoder, classifierHead }, optimizer, extra } }, (hooks) =>
      fineTune({
        classifier: teacher,
        images: source,
        labelled: { indices: train.ids.map((_, i) => i), labels: train.labels },
        steps: totalSteps,
        batchSize: Math.min(host.cfg.batchSize, train.ids.length),
        learningRate: host.cfg.learningRate,
        optimizerInstance: optimizer,
        augment: fineTuneAugmentConfig({ mirrorSafe: spec.mirrorSafe ?? false }, spec.inputSize),
        seed: host.cfg.seed + 1000 + action.run,
        workers: host.workers,
        prefetch: host.batchWorkers(spec.inputSize),
        ...hooks,
      }),
    );
    const fineTunedMetrics = await host.scorer.classifier(sets, (x) => teacher.logits(x, false));
    // The fine-tuned network with a pixel expert beside it (pixel-expert.ts): kept unless the network alone scores
    // better on held-out labels by more than their noise (keepPixelExpert), and where there are too few of them to score
    // anything (measured better offline at 30 and at 300 labels, by more than held-out noise would show).
    pixelExpert = await trainPixelExpert(images, train.labels, classIds.length, host.cfg.seed + 260);
    const expert = pixelExpert;
    const expertsMetrics = await host.scorer.classifier(sets, (x) => tf.tidy(() => expertsLogits(teacher.logits(x, false), x, expert)));
    const withPixels = keepPixelExpert(fineTunedMetrics, expertsMetrics);
    const network = withPixels ? expertsMetrics : fineTunedMetrics;
    const linearWins = preferLinearHead(linearMetrics, network);
    const candidates = [
      ...(fineTunedMetrics ? [{ name: "fine-tuned", accuracy: fineTunedMetrics.accuracy }] : []),
      ...(expertsMetrics ? [{ name: FINE_TUNED_WITH_PIXELS, accuracy: expertsMetrics.accuracy }] : []),
      ...(linearMetrics ? [{ name: "linear on frozen features", accuracy: linearMetrics.accuracy }] : []),
    ];
    const headName = linearWins ? "linear on frozen features" : withPixels ? FINE_TUNED_WITH_PIXELS : "fine-tuned";
    const chosen = linearWins ? linearMetrics : network;
    const metrics = chosen && { ...chosen, head: { chosen: headName, candidates } };
    if (linearWins) encoder.setWeights(pretrainedWeights);
    const flat = linearWins
      ? assembleTeacher(host.encoderConfig(spec), { inputDim: dim, hiddenDim: 0, numClasses: classIds.length }, { encoder, classifierHead: linearHead })
      : assembleTeacher(host.encoderConfig(spec), headConfig, { encoder, classifierHead }, {}, withPixels ? { ...expert, weight: PIXEL_EXPERT_WEIGHT } : undefined);
    const losses = out.result.losses;
    const provenance = {
      ...host.runProvenance(totalSteps, startStep, losses),
      trainLabels: train.ids.length,
      head: linearWins ? "linear" : withPixels ? "fine-tuned+pixels" : "fine-tuned",
      ...host.heldOutProvenance(heldOut),
      reason: action.reason,
      config: spec,
    };
    await exportModel(path.join(exportDir, "teacher"), flat, host.metadata("teacher", state, classIds, spec, provenance, metrics));
    flat.dispose();
    const version = await host.api.publishModel(
      host.projectId,
      ctx.lease.leaseId,
      {
        stage: "FINETUNE",
        classIds,
        metrics,
        provenance,
        imageCount: state.counts.images,
        labelledCount: state.counts.labelled,
      },
      await readExport(exportDir),
    );
    await uploadCheckpoint(
      host.api,
      host.projectId,
      ctx.lease.leaseId,
      "finetune",
      { stage: "finetune", nextStep: totalSteps, extra: { ...extra, done: true, versionId: version.id } },
      { encoder, classifierHead: linearWins ? linearHead : classifierHead },
    );
    await out.finish({ accuracy: metrics?.accuracy ?? null });
    host.log(`finetune: published version ${version.version} (${headName})${metrics ? `, accuracy ${(metrics.accuracy * 100).toFixed(1)}% on ${metrics.heldOut} held-out labels` : ""}`);
  } finally {
    await rm(exportDir, { recursive: true, force: true });
    if (pixelExpert) tf.dispose([pixelExpert.kernel, pixelExpert.bias]);
    tf.dispose(pretrainedWeights);
    linearHead.dispose();
    images.dispose();
    encoder.dispose();
    projectionHead.dispose();
    classifierHead.dispose();
    optimizer.dispose();
  }
}
