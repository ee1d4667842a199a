// What a quick-suggestion refresh costs on 3,000 images (issue 12, item 6), next to what it would cost without the
// embeddings kept in memory: one forward pass of the encoder over every image (the baseline, run in the same process).
//   npx tsx apps/trainer/bench/quick-refresh.ts [--images=3000] [--labels=30,300] [--backend=wasm]
// The encoder is the trainer's default (widths 16-128, one block a stage, 32 px, gray: Fashion-MNIST), randomly
// initialised: the cost does not depend on the weights. A refresh = fit the quick head on the training labels + class
// probabilities for every unlabelled image; timed both when the head is chosen (kNN k and a linear probe by 5-fold
// cross-validation, the better one kept: after the labels grew by 10%) and when the kept choice is only refitted (the
// usual refresh). Not timed: posting the changed suggestions to the server.
// Last line: one JSON object with every figure.
import { loadFashionMnist } from "@fewlabel/datasets";
import { createEncoder, encoderFeatures, PREPROCESSING_VERSION, resizeToInput, selectBackend, tensorImageSource, tf } from "@fewlabel/ml";
import { fitQuickHead } from "../src/quick-head";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const images = Number(args.get("images") ?? 3000);
const labelCounts = (args.get("labels") ?? "30,300").split(",").map(Number);
const size = 32;

async function main() {
  const backend = await selectBackend({ order: [(args.get("backend") ?? "wasm") as "wasm"] });
  const set = loadFashionMnist("train", { limit: images });
  const pixels = new Float32Array(images * size * size);
  for (let i = 0; i < images; i++) {
    const img = resizeToInput({ data: set.pixels.subarray(i * 784, (i + 1) * 784), width: 28, height: 28, channels: 1 }, { version: PREPROCESSING_VERSION, height: size, width: size });
    pixels.set(img.data, i * size * size);
  }
  const x = tf.tensor4d(pixels, [images, size, size, 1]);
  const encoder = createEncoder({ inputSize: size, channels: 1, widths: [16, 32, 64, 128], blocks: [1, 1, 1, 1], seed: 1 });
  await encoderFeatures(encoder, tensorImageSource(tf.slice(x, 0, 64) as tf.Tensor4D)).then((f) => f.dispose()); // warm-up
  let t = performance.now();
  const features = await encoderFeatures(encoder, tensorImageSource(x));
  const embedMs = performance.now() - t;
  console.log(`${backend.name}: embedding ${images} images (the baseline: what every refresh would cost without the kept embeddings): ${(embedMs / 1000).toFixed(2)} s`);

  const runs: { labels: number; method: string; chooseMs: number; refitMs: number; predictMs: number; refreshMs: number; ratio: number }[] = [];
  for (const n of labelCounts) {
    // The first n images as labels (Fashion-MNIST's order is already shuffled), the rest as the unlabelled images.
    const labels = Array.from(set.labels.subarray(0, n));
    const train = tf.slice(features, 0, n) as tf.Tensor2D,
      rest = tf.slice(features, n) as tf.Tensor2D;
    t = performance.now();
    const head = await fitQuickHead(train, labels, { numClasses: 10, seed: 1 });
    const chooseMs = performance.now() - t;
    t = performance.now();
    const refit = await fitQuickHead(train, labels, { numClasses: 10, seed: 1, choice: head });
    const refitMs = performance.now() - t;
    t = performance.now();
    await refit.probabilities(rest);
    const predictMs = performance.now() - t;
    const refreshMs = refitMs + predictMs;
    runs.push({ labels: n, method: head.k ? `knn-${head.k}` : head.method, chooseMs, refitMs, predictMs, refreshMs, ratio: embedMs / refreshMs });
    console.log(
      `${n} labels: ${head.method}${head.k ? ` k=${head.k}` : ""} (choosing it: ${(chooseMs / 1000).toFixed(2)} s); a refresh: refit ${(refitMs / 1000).toFixed(2)} s + probabilities for ${images - n} images ${(predictMs / 1000).toFixed(2)} s = ${(refreshMs / 1000).toFixed(2)} s, ${(embedMs / refreshMs).toFixed(1)}x less than embedding`,
    );
    head.dispose();
    refit.dispose();
    tf.dispose([train, rest]);
  }
  console.log(
    JSON.stringify({
      backend: backend.name,
      images,
      embedMs: Math.round(embedMs),
      runs: runs.map((r) => ({
        ...r,
        chooseMs: Math.round(r.chooseMs),
        refitMs: Math.round(r.refitMs),
        predictMs: Math.round(r.predictMs),
        refreshMs: Math.round(r.refreshMs),
        ratio: Math.round(r.ratio * 10) / 10,
      })),
    }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
