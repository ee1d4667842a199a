import { describe, expect, it } from "vitest";
import { selectBackend } from "../backend/select.js";
import { createEncoder } from "../models/resnet.js";
import { createClassifierHead } from "../models/heads.js";
import { fineTuneAugmentConfig } from "../augment/augment.js";
import { mulberry32 } from "../util/random.js";
import { tf } from "../tf.js";
import { distil, pseudoLabelRound, selfTrainingBatch, type PseudoLabels } from "./distil.js";
import { encoderClassifier, type Classifier } from "./classifier.js";
import { tensorImageSource } from "./imageSource.js";

describe("distil: what the teacher labels", () => {
  // A teacher that records every batch it is asked to label.
  async function run(teacherView: "clean" | "augmented") {
    await selectBackend({ order: ["wasm"] });
    const net = () =>
      encoderClassifier(createEncoder({ inputSize: 28, channels: 1, widths: [4], blocks: [1], seed: 31 }), createClassifierHead({ inputDim: 4, hiddenDim: 4, numClasses: 3, seed: 32 }));
    const inner = net();
    const seen: number[][] = [];
    const teacher: Classifier = {
      logits: (x, training) => {
        seen.push(Array.from(x.dataSync()));
        return inner.logits(x, training);
      },
      trainableVariables: [],
    };
    const r = mulberry32(4);
    const images = tf.tensor4d(
      new Float32Array(20 * 28 * 28).map(() => r()),
      [20, 28, 28, 1],
    );
    const out = await distil({ teacher, student: net(), images: tensorImageSource(images), steps: 4, batchSize: 8, augment: fineTuneAugmentConfig({ mirrorSafe: false }), teacherView });
    const stored = Array.from(images.dataSync());
    images.dispose();
    return { seen, stored, losses: out.losses };
  }

  it("clean (the default): the teacher labels every stored image once, before training, whatever the augmentation", { timeout: 60_000 }, async () => {
    const { seen, stored, losses } = await run("clean");
    expect(seen).toHaveLength(1); // one block of 20 images, not one call per step
    expect(seen[0]!.length).toBe(stored.length);
    let maxErr = 0;
    for (let i = 0; i < stored.length; i++) maxErr = Math.max(maxErr, Math.abs(seen[0]![i]! - stored[i]!));
    expect(maxErr).toBe(0);
    expect(losses).toHaveLength(4);
    expect(losses.every(Number.isFinite)).toBe(true);
  });

  it("augmented: the teacher labels the student's augmented view in every step (SimCLR v2)", { timeout: 60_000 }, async () => {
    const { seen, stored } = await run("augmented");
    expect(seen).toHaveLength(4);
    expect(seen[0]!.length).toBe((8 / 20) * stored.length);
  });
});

describe("distil: self-training on confident pseudo-labels", () => {
  const pseudo = (argmax: number[], confident: number[]): PseudoLabels => ({ round: 0, confident: Int32Array.from(confident), argmax: Int32Array.from(argmax), classes: 3 });

  it("takes labelled and confident images interleaved, with targets weighted as CE(labelled) + w CE(pseudo-labelled)", () => {
    const gt = new Map([
      [0, 2],
      [1, 0],
      [2, 1],
    ]);
    const p = pseudo([9, 9, 9, 1, 0, 2, 1, 0, 2, 1], [3, 4, 5, 6, 7, 8]);
    const { batch, targets } = selfTrainingBatch(p, Int32Array.from(gt.keys()), gt, { threshold: 0.9, refreshEvery: 1, labelledPerStep: 2, weight: 0.5 }, 4, mulberry32(1));
    expect(batch).toHaveLength(6);
    const labelled = Array.from(batch).filter((i) => gt.has(i));
    expect(labelled).toHaveLength(2);
    expect(
      Array.from(batch)
        .filter((i) => !gt.has(i))
        .every((i) => i >= 3 && i <= 8),
    ).toBe(true);
    expect(new Set(batch).size).toBe(6);
    // Interleaved: each half of the batch (one worker's shard) holds one labelled image.
    expect([batch.slice(0, 3), batch.slice(3)].map((h) => Array.from(h).filter((i) => gt.has(i)).length)).toEqual([1, 1]);
    batch.forEach((img, row) => {
      const t = Array.from(targets.subarray(row * 3, row * 3 + 3));
      const cls = gt.has(img) ? gt.get(img)! : p.argmax[img]!;
      // Mean over 6 rows of the scaled rows = (1/2) sum over labelled + 0.5 (1/4) sum over pseudo-labelled.
      expect(t).toEqual([0, 1, 2].map((c) => (c === cls ? (gt.has(img) ? 6 / 2 : (0.5 * 6) / 4) : 0)));
    });
  });

  it("keeps pseudo-labels at or above the threshold, or the most confident ones where too few are", async () => {
    await selectBackend({ order: ["wasm"] });
    // Image i's logits put log(odds) on class i % 3; confidence grows with i.
    const confidence = [0.99, 0.5, 0.97, 0.4, 0.96, 0.6, 0.45, 0.94];
    const labeller: Classifier = {
      logits: (x) =>
        tf.tidy(() => {
          const ids = Array.from(tf.slice(x, [0, 0, 0, 0], [-1, 1, 1, 1]).dataSync() as Float32Array, Math.round);
          return tf.tensor2d(
            ids.flatMap((i) => [0, 1, 2].map((c) => (c === i % 3 ? Math.log(confidence[i]!) : Math.log((1 - confidence[i]!) / 2)))),
            [ids.length, 3],
          );
        }),
      trainableVariables: [],
    };
    const images = tensorImageSource(tf.tidy(() => tf.tile(tf.reshape(tf.range(0, 8), [8, 1, 1, 1]), [1, 2, 2, 1]) as tf.Tensor4D));
    const gt = new Map([[0, 0]]); // image 0 is labelled: never a pseudo-label, however confident
    const sure = await pseudoLabelRound(labeller, images, gt, 0.95, 1, 3);
    expect(sure).toMatchObject({ round: 3, classes: 3 });
    expect(Array.from(sure.confident)).toEqual([2, 4]);
    expect(Array.from(sure.argmax)).toEqual([0, 1, 2, 0, 1, 2, 0, 1]);
    const few = await pseudoLabelRound(labeller, images, gt, 0.95, 4, 0);
    expect(Array.from(few.confident)).toEqual([2, 4, 5, 7]);
  });

  it("the teacher labels the first round, the student every later one, on the images as stored", { timeout: 60_000 }, async () => {
    await selectBackend({ order: ["wasm"] });
    const net = (seed: number) =>
      encoderClassifier(createEncoder({ inputSize: 28, channels: 1, widths: [4], blocks: [1], seed }), createClassifierHead({ inputDim: 4, hiddenDim: 4, numClasses: 3, seed: seed + 1 }));
    const calls: string[] = [];
    const spy = (name: string, c: Classifier): Classifier => ({ ...c, logits: (x, training) => (training || calls.push(`${name} ${x.shape[0]}`), c.logits(x, training)) });
    const r = mulberry32(5);
    const images = tf.tensor4d(
      new Float32Array(20 * 28 * 28).map(() => r()),
      [20, 28, 28, 1],
    );
    const rounds: Array<[number, number, number]> = [];
    const out = await distil({
      teacher: spy("teacher", net(41)),
      student: spy("student", net(51)),
      images: tensorImageSource(images),
      steps: 5,
      batchSize: 4,
      groundTruth: { indices: [0, 1, 2, 3], labels: [0, 1, 2, 0] },
      augment: fineTuneAugmentConfig({ mirrorSafe: false }),
      selfTraining: { threshold: 0.99, refreshEvery: 2, labelledPerStep: 2, onRound: (...a) => rounds.push(a) },
    });
    images.dispose();
    expect(calls).toEqual(["teacher 20", "student 20", "student 20"]);
    // A random 3-class network is never 99% sure: each round falls back to the 4 most confident unlabelled images.
    expect(rounds).toEqual([
      [0, 4, 16],
      [1, 4, 16],
      [2, 4, 16],
    ]);
    expect(out.losses).toHaveLength(5);
    expect(out.losses.every(Number.isFinite)).toBe(true);
  });
});
