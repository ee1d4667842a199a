import { describe, expect, it } from "vitest";
import { selectBackend } from "../backend/select.js";
import { createEncoder } from "../models/resnet.js";
import { createClassifierHead } from "../models/heads.js";
import { fineTuneAugmentConfig } from "../augment/augment.js";
import { mulberry32 } from "../util/random.js";
import { tf } from "../tf.js";
import { distil } from "./distil.js";
import { encoderClassifier, tensorImageSource, type Classifier } from "./common.js";

describe("distil: what the teacher labels", () => {
  // A teacher that records every batch it is asked to label.
  async function run(teacherView: "clean" | "augmented") {
    await selectBackend({ order: ["wasm"] });
    const net = () => encoderClassifier(createEncoder({ inputSize: 28, channels: 1, widths: [4], blocks: [1], seed: 31 }), createClassifierHead({ inputDim: 4, hiddenDim: 4, numClasses: 3, seed: 32 }));
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
    const images = tf.tensor4d(new Float32Array(20 * 28 * 28).map(() => r()), [20, 28, 28, 1]);
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
