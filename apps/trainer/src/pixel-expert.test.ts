import { createClassifierHead, createEncoder, edgeEnergies, pixelExpertRows, selectBackend, tf } from "@fewlabel/ml";
import { assembleTeacher } from "@fewlabel/ml/node";
import { beforeAll, describe, expect, it } from "vitest";
import { addTeacherPixels, expertsLogits, keepPixelExpert, trainPixelExpert, zeroPixelExpert } from "./pixel-expert";

beforeAll(async () => {
  await selectBackend({ order: ["wasm"] });
});

describe("the pixel expert", () => {
  it("is logistic regression on pixels and edge energies as a dense layer, adds to the network's logits in the assembled teacher, and zeroes for a student", async () => {
    // Three classes told apart by which third of the image is bright.
    const n = 30,
      size = 28;
    const labels = Array.from({ length: n }, (_, i) => i % 3);
    const pixels = new Float32Array(n * size * size);
    labels.forEach((c, i) => {
      for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) pixels[i * size * size + y * size + x] = (Math.floor((x * 3) / size) === c ? 0.8 : 0.1) + 0.1 * Math.sin(i * 7 + x * 3 + y);
    });
    const images = tf.tensor4d(pixels, [n, size, size, 1]);
    const expert = await trainPixelExpert(images, labels, 3, 1);
    // One weight row per pixel, then per edge energy: 8 directions in 2 x 2 cells at 28 px, 14 x 14 cells.
    expect(expert.kernel.shape).toEqual([size * size + 14 * 14 * 8, 3]);
    const edges = edgeEnergies(images);
    expect(edges.shape).toEqual([n, 14 * 14 * 8]);
    // A bright third's inner border: energy there, none in the flat inside of a third.
    const row = edges.arraySync()[0]!;
    expect(row.some((v) => v > 0.1)).toBe(true);
    expect(row.filter((v) => v < 0.05).length).toBeGreaterThan(row.length / 2);
    const pixelLogits = tf.tidy(() => tf.add(tf.matMul(pixelExpertRows(images), expert.kernel), expert.bias));
    expect(Array.from(tf.argMax(pixelLogits, 1).dataSync())).toEqual(labels);

    const enc = { inputSize: size, channels: 1 as const, widths: [4], blocks: [1], seed: 2 };
    const encoder = createEncoder(enc),
      head = createClassifierHead({ inputDim: 4, hiddenDim: 4, numClasses: 3, seed: 3 });
    const plain = assembleTeacher(enc, { inputDim: 4, hiddenDim: 4, numClasses: 3, seed: 3 }, { encoder, classifierHead: head });
    const teacher = assembleTeacher(enc, { inputDim: 4, hiddenDim: 4, numClasses: 3, seed: 3 }, { encoder, classifierHead: head }, {}, { ...expert, weight: 0.5 });
    const network = plain.predict(images) as tf.Tensor2D;
    const want = expertsLogits(network, images, expert, 0.5);
    expect(tf.max(tf.abs(tf.sub(teacher.predict(images) as tf.Tensor2D, want))).dataSync()[0]).toBeLessThan(1e-4);

    // A student starts from the teacher with its pixel layer at zero: half the network's logits, nothing from pixels.
    const pair = assembleTeacher(enc, { inputDim: 4, hiddenDim: 4, numClasses: 3, seed: 3 }, { encoder, classifierHead: head }, {}, { ...expert, weight: 0.5 });
    expect(zeroPixelExpert(teacher)).toBe(true);
    expect(tf.max(tf.abs(tf.sub(teacher.predict(images) as tf.Tensor2D, tf.mul(network, 0.5)))).dataSync()[0]).toBeLessThan(1e-4);
    expect(zeroPixelExpert(plain)).toBe(false);

    // After self-training the teacher's pixel expert is added to whatever the student's own pixel layer learnt: here
    // nothing (zero), so the student is the pair again; the weights before come back to take it back.
    const before = addTeacherPixels(teacher, pair);
    expect(before).not.toBeNull();
    expect(tf.max(tf.abs(tf.sub(teacher.predict(images) as tf.Tensor2D, want))).dataSync()[0]).toBeLessThan(1e-4);
    // Added, not copied: a second time doubles the pixels' share.
    tf.dispose(addTeacherPixels(teacher, pair)!);
    const doubled = tf.tidy(() => tf.add(want, tf.mul(pixelLogits, 0.5)));
    expect(tf.max(tf.abs(tf.sub(teacher.predict(images) as tf.Tensor2D, doubled))).dataSync()[0]).toBeLessThan(1e-3);
    teacher.getLayer("pixel_logits").setWeights(before!);
    expect(tf.max(tf.abs(tf.sub(teacher.predict(images) as tf.Tensor2D, tf.mul(network, 0.5)))).dataSync()[0]).toBeLessThan(1e-4);
    // Without a pixel layer on either side there is nothing to add.
    expect(addTeacherPixels(plain, pair)).toBeNull();
    expect(addTeacherPixels(pair, plain)).toBeNull();
    tf.dispose([images, edges, expert.kernel, expert.bias, pixelLogits, network, want, doubled, ...before!]);
    [encoder, head, plain, teacher, pair].forEach((m) => m.dispose());
  });
});

describe("keepPixelExpert", () => {
  it("keeps the pair unless the network alone is better by more than the held-out labels' noise", () => {
    // 64 held-out labels: one standard error of the difference is about 8 points. 3 labels (4.7 points) and 5
    // (7.8) more are noise; 7 (10.9) are not.
    expect(keepPixelExpert({ accuracy: 46 / 64, heldOut: 64 }, { accuracy: 43 / 64, heldOut: 64 })).toBe(true);
    expect(keepPixelExpert({ accuracy: 48 / 64, heldOut: 64 }, { accuracy: 43 / 64, heldOut: 64 })).toBe(true);
    expect(keepPixelExpert({ accuracy: 50 / 64, heldOut: 64 }, { accuracy: 43 / 64, heldOut: 64 })).toBe(false);
    // 2,000 held-out labels: the 2-point floor decides.
    expect(keepPixelExpert({ accuracy: 0.8, heldOut: 2000 }, { accuracy: 0.785, heldOut: 2000 })).toBe(true);
    expect(keepPixelExpert({ accuracy: 0.8, heldOut: 2000 }, { accuracy: 0.775, heldOut: 2000 })).toBe(false);
    // Nothing scored: the pair; only the network scored: the network.
    expect(keepPixelExpert(null, null)).toBe(true);
    expect(keepPixelExpert({ accuracy: 0.5, heldOut: 30 }, null)).toBe(false);
  });
});
