// The whole SimCLR v2 pipeline on a small Fashion-MNIST subset (Debian package dataset-fashion-mnist):
// each stage must improve its own metric. Sized to run in well under a minute on the wasm backend.
import { beforeAll, describe, expect, it } from "vitest";
import { tf } from "./tf.js";
import { selectBackend } from "./backend/select.js";
import { createEncoder, encoderFeatureDim, type EncoderConfig } from "./models/resnet.js";
import { createClassifierHead, createProjectionHead, copyWeightsByLayerName } from "./models/heads.js";
import { createStudent } from "./models/student.js";
import { pretrainContrastive } from "./stages/pretrain.js";
import { fineTune } from "./stages/fineTune.js";
import { pseudoLabel } from "./stages/pseudoLabel.js";
import { distil } from "./stages/distil.js";
import { encoderClassifier, modelClassifier } from "./stages/classifier.js";
import { tensorImageSource } from "./stages/imageSource.js";
import type { Progress } from "./stages/runStage.js";
import { FASHION_MNIST_DIR, fashionMnistAvailable, loadFashionMnist } from "@fewlabel/datasets";

const available = fashionMnistAvailable();
if (!available) {
  console.warn(`e2e: SKIPPED, Fashion-MNIST not found in ${FASHION_MNIST_DIR} (apt-get install -y dataset-fashion-mnist)`);
}

const toTensor = (bytes: Uint8Array, n: number) => tf.tidy(() => tf.div(tf.tensor4d(bytes, [n, 28, 28, 1], "float32"), 255) as tf.Tensor4D);

describe.skipIf(!available)("SimCLR v2 end to end on Fashion-MNIST", () => {
  beforeAll(async () => {
    await selectBackend({ order: ["wasm"] });
  });

  it("pretraining lowers the contrastive loss, fine-tuning beats chance, the student agrees with the teacher", { timeout: 300_000 }, async () => {
    const t0 = performance.now();
    const lap = (what: string) => console.log(`e2e: ${what} done at ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const train = loadFashionMnist("train", { limit: 1024 });
    const test = loadFashionMnist("test", { limit: 300 });
    const images = tensorImageSource(toTensor(train.pixels, train.count));
    const testImages = tensorImageSource(toTensor(test.pixels, test.count));
    const cfg: EncoderConfig = { inputSize: 28, channels: 1, widths: [8, 16, 32], blocks: [1, 1, 1], seed: 1 };
    const dim = encoderFeatureDim(cfg);
    const encoder = createEncoder(cfg);
    const projectionHead = createProjectionHead({ inputDim: dim, hiddenDim: dim, outputDim: 32, seed: 100 });

    const progress: Progress[] = [];
    const pre = await pretrainContrastive({
      encoder,
      projectionHead,
      images,
      steps: 60,
      batchSize: 32,
      optimizer: "adam",
      learningRate: 3e-3,
      temperature: 0.2,
      onProgress: (p) => void progress.push(p),
    });
    lap("pretrain");
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    const firstLoss = mean(pre.losses.slice(0, 5)),
      lastLoss = mean(pre.losses.slice(-5));
    expect(lastLoss).toBeLessThan(firstLoss * 0.9);
    expect(progress).toHaveLength(60);
    expect(progress[59]).toMatchObject({ stage: "pretrain", step: 60, totalSteps: 60 });
    expect(progress[59]!.imagesPerSecond).toBeGreaterThan(0);

    // 10 labels per class from the pretraining pool.
    const labelled: number[] = [];
    const perClass = new Map<number, number>();
    for (let i = 0; i < train.count && labelled.length < 100; i++) {
      const c = train.labels[i]!;
      if ((perClass.get(c) ?? 0) < 10) {
        perClass.set(c, (perClass.get(c) ?? 0) + 1);
        labelled.push(i);
      }
    }
    const head = createClassifierHead({ inputDim: dim, hiddenDim: dim, numClasses: 10, seed: 200 });
    expect(copyWeightsByLayerName(projectionHead, head)).toEqual(["proj_dense1", "proj_bn1"]);
    const teacher = encoderClassifier(encoder, head);
    await fineTune({
      classifier: teacher,
      images,
      labelled: { indices: labelled, labels: labelled.map((i) => train.labels[i]!) },
      steps: 60,
      batchSize: 50,
      learningRate: 1e-2,
    });
    lap("fine-tune");
    const teacherLabels = await pseudoLabel({ classifier: teacher, images: testImages });
    let correct = 0;
    for (let i = 0; i < test.count; i++) if (teacherLabels.labels[i] === test.labels[i]) correct++;
    const accuracy = correct / test.count;
    expect(accuracy).toBeGreaterThan(0.4); // chance: 0.10
    expect(teacherLabels.confidence.every((c) => c >= 0.1 - 1e-6 && c <= 1 + 1e-6)).toBe(true);
    const rowSum = teacherLabels.probabilities.slice(0, 10).reduce((s, v) => s + v, 0);
    expect(rowSum).toBeCloseTo(1, 4);

    const student = createStudent({ inputSize: 28, channels: 1, numClasses: 10, widths: [8, 16, 32], seed: 300 });
    const dist = await distil({
      teacher,
      student: modelClassifier(student),
      images,
      steps: 80,
      batchSize: 64,
      learningRate: 1e-2,
      augment: null,
      groundTruth: { indices: labelled, labels: labelled.map((i) => train.labels[i]!), weight: 0.1 },
    });
    lap("distil");
    expect(mean(dist.losses.slice(-5))).toBeLessThan(mean(dist.losses.slice(0, 5)));
    const studentLabels = await pseudoLabel({ classifier: modelClassifier(student), images: testImages });
    let agree = 0;
    for (let i = 0; i < test.count; i++) if (studentLabels.labels[i] === teacherLabels.labels[i]) agree++;
    console.log(
      `e2e: contrastive loss ${firstLoss.toFixed(3)} -> ${lastLoss.toFixed(3)}, teacher accuracy ${(accuracy * 100).toFixed(1)}% (100 labels), student agreement ${((agree / test.count) * 100).toFixed(1)}%, ${progress[59]!.imagesPerSecond.toFixed(0)} img/s`,
    );
    expect(agree / test.count).toBeGreaterThan(0.6);
  });
});
