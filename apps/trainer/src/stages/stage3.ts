// Stage 3 for a new teacher: its suggestions for every unlabelled image (pushed live to the review queue), then the
// student, self-trained (or distilled) from it over every image, published beside it and, where it serves, suggesting
// in its place.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  createOptimizer,
  createStudent,
  registerFastBatchNorm,
  defaultAugmentConfig,
  fineTuneAugmentConfig,
  distil,
  type SelfTrainingOptions,
  type Classifier,
  modelClassifier,
  preprocessingOf,
  pseudoLabel,
  tf,
  tfl,
} from "@fewlabel/ml";
import { exportModel, type ModelMetadata, PREPROCESS_MODULE_FILE, preprocessModuleSource } from "@fewlabel/ml/node";
import { selfTrainingActivity } from "../activity";
import { peekCheckpoint, resumeStage, uploadCheckpoint } from "../checkpoints";
import type { SkippedImage } from "../images";
import { addTeacherPixels, keepPixelExpert, zeroPixelExpert } from "../pixel-expert";
import { predict } from "../metrics";
import { distilEpochs, stageSteps } from "../budget";
import { runStage, type StageRunContext } from "../stage-run";
import { selfTrainingApplies } from "../self-training-rule";
import type { ProjectState, StageHost } from "../project-trainer";
import type { ModelSpec } from "./model-spec";
import { readExport } from "./read-export";

/** The head name of a self-trained student with the teacher's pixel expert added (addTeacherPixels). */
const STUDENT_WITH_PIXELS = "self-trained + logistic regression on pixels and edges";

const PSEUDO_LABEL_BATCH = 250;

const clamp01 = (v: number) => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0);

export async function runStage3(host: StageHost, ctx: StageRunContext, state: ProjectState, teacherVersionId: string) {
  const version = state.models.find((m) => m.id === teacherVersionId)!;
  const classIds = version.classIds;
  const { model: teacherModel, files: teacherFiles, metadata, copy: teacherCopy } = await downloadTeacher(host, teacherVersionId);
  // The teacher's provenance carries the encoder's spec, and with it whether flips suit the data (no: when unknown).
  const teacherSpec = (metadata.provenance.config as { config?: Partial<ModelSpec> } | undefined)?.config;
  const spec: ModelSpec = {
    inputSize: metadata.inputSize,
    channels: metadata.channels,
    widths: host.cfg.encoderWidths,
    blocks: host.cfg.encoderBlocks,
    projectionDim: host.cfg.projectionDim,
    mirrorSafe: teacherSpec?.mirrorSafe ?? false,
  };
  host.cache.useInputSize(spec.inputSize);
  const teacher = modelClassifier(teacherModel);
  const exportDir = await mkdtemp(path.join(os.tmpdir(), "fewlabel-student-"));
  try {
    // Pseudo-labels for every unlabelled image (the server keeps one per model version and image, skips the rest).
    const unlabelled = state.images.filter((i) => i.labelClassId === null).map((i) => i.id);
    const { usable: toLabel, skipped } = await host.load(unlabelled);
    if (toLabel.length > 0) await suggest(host, ctx, "teacher", teacherVersionId, teacher, toLabel, spec.channels, classIds, skipped);

    // Distillation over all images, the teacher's soft labels plus the training labels as ground truth.
    const { usable: all } = await host.load(state.images.map((i) => i.id));
    const { train, heldOut } = await host.labelledSets(state, classIds);
    const position = new Map(all.map((id, i) => [id, i]));
    // SimCLR v2 distils into a student as large as the teacher or larger; a small CNN learning from scratch lost 2-8
    // points to its teacher here (Fashion-MNIST, 300 labels). By default the student is the teacher's own network,
    // starting from its weights, trained on its soft labels over every image (self-distillation): measured +1.9
    // points over the teacher. It is ~1.2 MB and runs in the browser like the small one. FEWLABEL_STUDENT_WIDTHS
    // asks for the small CNN instead.
    let student: tfl.LayersModel;
    if (host.cfg.studentWidths) {
      student = createStudent({ inputSize: spec.inputSize, channels: spec.channels, numClasses: classIds.length, widths: host.cfg.studentWidths, seed: host.cfg.seed + 300 });
    } else {
      registerFastBatchNorm(); // the loaded copy trains: give its batch norm the fast training path
      student = await teacherCopy();
      zeroPixelExpert(student);
    }
    const optimizer = createOptimizer("adam", host.cfg.learningRate);
    const extra = { teacherVersionId, spec };
    const startStep = await resumeStage(await peekCheckpoint<typeof extra>(host.api, host.projectId, "distil"), { student }, optimizer, {
      sameRun: (p) => p.teacherVersionId === teacherVersionId,
    });
    const firstStudent = !state.models.some((m) => m.stage === "DISTIL");
    const epochs = distilEpochs(host.cfg, !firstStudent);
    const totalSteps = stageSteps({ epochs, steps: host.cfg.distilSteps }, all.length, host.cfg.batchSize);
    if (firstStudent && epochs < host.cfg.distilEpochs && host.cfg.distilSteps === null) host.log(`distil: the project's first student: ${epochs} epochs (later ones ${host.cfg.distilEpochs})`);
    const images = host.cache.source(all, spec.channels);
    try {
      const gt = train.ids.map((id, i) => [position.get(id), train.labels[i]!] as const).filter((p): p is readonly [number, number] => p[0] !== undefined);
      const batchSize = Math.min(host.cfg.batchSize, all.length);
      // Set by the stage's callback (an object, so that the narrowing of a `let` to null does not hide it).
      const lastRound: { round?: number; confident?: number; unlabelled?: number } = {};
      // Pseudo-labels are renewed once per epoch of every image; the stage's rounds follow from its steps.
      const refreshEvery = Math.ceil(all.length / batchSize);
      const rounds = Math.ceil(totalSteps / refreshEvery);
      const selfTraining: SelfTrainingOptions | undefined = selfTrainingApplies({
        threshold: host.cfg.selfTrainingThreshold,
        trainLabels: train.ids.length,
        classes: classIds.length,
        minLabelsPerClass: host.cfg.selfTrainingMinLabelsPerClass,
      })
        ? {
            threshold: host.cfg.selfTrainingThreshold,
            refreshEvery,
            labelledPerStep: Math.max(1, Math.floor(batchSize / 2)),
            onRound: (round, confident, unlabelledCount) => {
              Object.assign(lastRound, { round: round + 1, confident, unlabelled: unlabelledCount });
              void host.onActivity?.(selfTrainingActivity({ round: round + 1, rounds, confident, unlabelled: unlabelledCount, threshold: host.cfg.selfTrainingThreshold }), ctx.lease);
              host.log(`distil: round ${round + 1}, ${confident} of ${unlabelledCount} unlabelled images pseudo-labelled by the ${round ? "student" : "teacher"}`);
            },
          }
        : undefined;
      const out = await runStage(ctx, { stage: "distil", totalSteps, startStep, checkpoint: { slot: "distil", models: { student }, optimizer, extra } }, (hooks) =>
        distil({
          teacher,
          student: modelClassifier(student),
          images,
          steps: totalSteps,
          batchSize,
          learningRate: host.cfg.learningRate,
          optimizerInstance: optimizer,
          groundTruth: gt.length ? { indices: gt.map((p) => p[0]), labels: gt.map((p) => p[1]), weight: 0.5 } : undefined,
          // Self-training's pseudo-labelled images need FixMatch's strong views (here pretraining's policy) to teach
          // anything beyond what the labeller already says of the clean image. (Pretraining's jitter on fine-tuning's
          // 80% crops won offline by 1.1-1.5 points, but its students in bench:loop run 12 fell to or below their
          // teachers, where these rose above theirs in runs 10 and 11: not taken until measured again.)
          augment: selfTraining ? defaultAugmentConfig(spec.inputSize, spec.channels, 0.5, { mirrorSafe: spec.mirrorSafe }) : fineTuneAugmentConfig({ mirrorSafe: spec.mirrorSafe }, spec.inputSize),
          selfTraining,
          seed: host.cfg.seed + 2000,
          workers: host.workers,
          ...hooks,
        }),
      );
      const sets = host.scoringSets(train, heldOut, spec, classIds);
      const studentLogits = (x: tf.Tensor4D) => student.apply(x, { training: false }) as tf.Tensor2D;
      const aloneMetrics = await host.scorer.classifier(sets, studentLogits);
      // A self-trained student votes with the teacher's pixel expert again (addTeacherPixels), unless it alone scores
      // clearly better on held-out labels; a soft-label student has learnt the pair's pixel share already.
      let metrics = aloneMetrics;
      let withPixels = false;
      const before = selfTraining ? addTeacherPixels(student, teacherModel) : null;
      if (before) {
        const pairMetrics = await host.scorer.classifier(sets, studentLogits);
        withPixels = keepPixelExpert(aloneMetrics, pairMetrics);
        if (!withPixels) student.getLayer("pixel_logits").setWeights(before);
        else metrics = pairMetrics;
        const candidates = [
          ...(aloneMetrics ? [{ name: "self-trained", accuracy: aloneMetrics.accuracy }] : []),
          ...(pairMetrics ? [{ name: STUDENT_WITH_PIXELS, accuracy: pairMetrics.accuracy }] : []),
        ];
        if (metrics && candidates.length) metrics = { ...metrics, head: { chosen: withPixels ? STUDENT_WITH_PIXELS : "self-trained", candidates } };
        tf.dispose(before);
      }
      if (metrics && heldOut.ids.length) {
        const x = host.cache.tensor(heldOut.ids, spec.channels);
        const [s, t] = await Promise.all([predict(studentLogits, x), predict((v) => teacher.logits(v, false), x)]);
        x.dispose();
        metrics.teacherAgreement = s.filter((v, i) => v === t[i]).length / s.length;
      }
      const losses = out.result.losses;
      const provenance = {
        ...host.runProvenance(totalSteps, startStep, losses),
        teacherVersionId,
        images: all.length,
        student: host.cfg.studentWidths ? { widths: host.cfg.studentWidths } : "the teacher's network, from its weights",
        method: selfTraining ? `self-training on pseudo-labels at least ${Math.round(selfTraining.threshold * 100)}% sure, relabelled by the student every epoch` : "the teacher's soft labels",
        pixels: withPixels ? "the teacher's pixel expert added" : "its own",
        ...(lastRound.round ? { pseudoLabelled: `${lastRound.confident} of ${lastRound.unlabelled} unlabelled images in round ${lastRound.round}` } : {}),
        ...host.heldOutProvenance(heldOut),
      };
      await exportModel(path.join(exportDir, "student"), student, host.metadata("student", state, classIds, spec, provenance, metrics));
      const files = [...(await readExport(exportDir)), ...teacherFiles];
      const published = await host.api.publishModel(
        host.projectId,
        ctx.lease.leaseId,
        {
          stage: "DISTIL",
          classIds,
          metrics,
          provenance,
          imageCount: state.counts.images,
          labelledCount: state.counts.labelled,
          parentId: teacherVersionId,
        },
        files,
      );
      await uploadCheckpoint(host.api, host.projectId, ctx.lease.leaseId, "distil", { stage: "distil", nextStep: totalSteps, extra: { ...extra, done: true } }, { student });
      await out.finish({ accuracy: metrics?.accuracy ?? null });
      // The suggestions come from the best model: a student that serves and scores at least as well as its teacher
      // on the held-out labels labels the unlabelled images in its teacher's place (the server lets the newest model
      // speak for an image). Unmeasured, the teacher keeps them.
      const serving = (await host.api.trpc.summary.query({ projectId: host.projectId })).serving;
      const teacherAccuracy = version.accuracy ?? null;
      const speaks = serving?.studentId === published.id && metrics !== null && teacherAccuracy !== null && metrics.accuracy >= teacherAccuracy;
      if (speaks && toLabel.length > 0) await suggest(host, ctx, "student", published.id, modelClassifier(student), toLabel, spec.channels, classIds, []);
      host.log(`distil: published version ${published.version}${withPixels ? " (with the teacher's pixel expert)" : ""}${metrics ? `, student accuracy ${(metrics.accuracy * 100).toFixed(1)}%` : ""}`);
    } finally {
      student.dispose();
      optimizer.dispose();
    }
  } finally {
    teacherModel.dispose();
    await rm(exportDir, { recursive: true, force: true });
  }
}

/** Labels `ids` with `classifier` and posts the suggestions under `versionId` (the server keeps one per version and image). */
async function suggest(
  host: StageHost,
  ctx: StageRunContext,
  who: "teacher" | "student",
  versionId: string,
  classifier: Classifier,
  ids: string[],
  channels: 1 | 3,
  classIds: string[],
  skipped: SkippedImage[],
) {
  const images = host.cache.source(ids, channels);
  const batches = Math.ceil(ids.length / 256);
  const out = await runStage(ctx, { stage: "pseudolabel", totalSteps: batches, startStep: 0, skipped }, (hooks) => pseudoLabel({ classifier, images, batchSize: 256, onProgress: hooks.onProgress }));
  const k = out.result.numClasses;
  let stored = 0;
  for (let start = 0; start < ids.length; start += PSEUDO_LABEL_BATCH) {
    const items = ids.slice(start, start + PSEUDO_LABEL_BATCH).map((imageId, j) => {
      const i = start + j;
      return {
        imageId,
        classId: classIds[out.result.labels[i]!]!,
        confidence: clamp01(out.result.confidence[i]!),
        probabilities: Array.from(out.result.probabilities.subarray(i * k, (i + 1) * k), (p) => Math.round(clamp01(p) * 1e4) / 1e4),
      };
    });
    stored += (await host.api.trpc.postPseudoLabels.mutate({ projectId: host.projectId, leaseId: ctx.lease.leaseId, modelVersionId: versionId, items })).stored;
  }
  await out.finish();
  host.log(`pseudolabel: ${stored} new suggestion(s) for ${ids.length} unlabelled image(s) from the ${who}`);
}

/** The published teacher, loaded with stock tf.loadLayersModel from its files on the server. */
async function downloadTeacher(host: StageHost, versionId: string) {
  const get = (name: string) => host.api.modelFile(versionId, "teacher", name);
  const modelJson = JSON.parse((await get("model.json")).toString("utf8")) as tf.io.ModelJSON;
  const shardNames = modelJson.weightsManifest.flatMap((g) => g.paths);
  const shards = await Promise.all(shardNames.map(get));
  const metadataBytes = await get("metadata.json");
  const weights = Buffer.concat(shards);
  const load = () =>
    tfl.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: modelJson.modelTopology,
        weightSpecs: modelJson.weightsManifest.flatMap((g) => g.weights),
        weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
      }),
    );
  const model = await load();
  const files = [
    { path: "teacher/model.json", bytes: Buffer.from(JSON.stringify(modelJson)) },
    ...shardNames.map((n, i) => ({ path: `teacher/${n}`, bytes: shards[i]! })),
    { path: "teacher/metadata.json", bytes: metadataBytes },
  ];
  const metadata = JSON.parse(metadataBytes.toString("utf8")) as ModelMetadata;
  // Made anew rather than downloaded, so that a teacher published before preprocess.js existed gets one too.
  files.push({ path: `teacher/${PREPROCESS_MODULE_FILE}`, bytes: Buffer.from(await preprocessModuleSource(preprocessingOf(metadata))) });
  /** A second, independent copy of the teacher (the self-distilled student starts from it). */
  return { model, files, metadata, copy: load };
}
