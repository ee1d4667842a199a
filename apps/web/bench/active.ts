// `npm run bench:active` (issue 17): does the work queue's order choose better images to label? For each order
// (upload order, random, least confident, smallest margin, diverse) a fresh project on the real server (embedded database,
// real HTTP and socket.io) gets the first --images Fashion-MNIST training images; a simulated annotator claims images
// through the real work queue (image:claim, so the project's order decides) and labels each with its true class, in
// rounds of --round labels. After each round the product's quick head (apps/trainer/src/quick-head.ts: kNN or a
// linear probe, chosen by cross-validation) is fitted on the labels, its suggestions for the unlabelled images are
// posted as a trainer would (they are what the uncertainty orders read), and it is scored on the first --test test
// images, never uploaded. Features are the images' pixels downsampled to 20x20 (the quick head's pixel rows at the
// default 32 px input, quick-suggestions.ts pixelSide; an encoder would raise every curve alike): this measures the
// queue's choices, not the representation.
//   npm run bench:active -- [--images 3000] [--test 10000] [--round 50] [--labels 1000] [--orders OLDEST,RANDOM,LEAST_CONFIDENT,MARGIN,DIVERSE]
// Prints accuracy against labels per order, then one JSON line {"curves": {...}, "labelsToMatchRandomAt1000": {...}}:
// for each order, the fewest labels at which it reached random ordering's accuracy at --labels (null: never).
// DIVERSE reads k-means clusters (apps/trainer/src/clusters.ts) of the same pixel rows, posted as the trainer posts
// its embeddings' clusters with the map.
import { loadFashionMnist } from "@fewlabel/datasets";
import { selectBackend, tf } from "@fewlabel/ml";
import sharp from "sharp";
import { createTrainerApi } from "../../trainer/src/api-client";
import { encodeVector } from "@fewlabel/api/embedding-vector";
import { clusterCount, kMeans } from "../../trainer/src/clusters";
import { fitQuickHead } from "../../trainer/src/quick-head";
import { pixelSide } from "../../trainer/src/quick-suggestions";
import { startTestServer, TestUser } from "../test/harness";
import { call, connect } from "../test/realtime-harness";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i]!;
  if (a.startsWith("--")) args.set(a.slice(2), process.argv[i + 1] && !process.argv[i + 1]!.startsWith("--") ? process.argv[++i]! : "true");
}
const nImages = Number(args.get("images") ?? 3000);
const nTest = Number(args.get("test") ?? 10000);
const roundSize = Number(args.get("round") ?? 50);
const maxLabels = Number(args.get("labels") ?? 1000);
type Order = "OLDEST" | "RANDOM" | "LEAST_CONFIDENT" | "MARGIN" | "DIVERSE";
const orders = (args.get("orders") ?? "OLDEST,RANDOM,LEAST_CONFIDENT,MARGIN,DIVERSE").split(",") as Order[];
const SIDE = pixelSide(32, 1);

await selectBackend({ order: ["wasm", "cpu"] });
const train = loadFashionMnist("train", { limit: nImages });
const test = loadFashionMnist("test", { limit: nTest });
const rowsOf = (pixels: Uint8Array, n: number) =>
  tf.tidy(
    () =>
      tf.reshape(
        tf.image.resizeBilinear(
          tf.tensor4d(
            Float32Array.from(pixels, (v) => v / 255),
            [n, 28, 28, 1],
          ),
          [SIDE, SIDE],
          true,
        ),
        [n, SIDE * SIDE],
      ) as tf.Tensor2D,
  );
const trainRows = rowsOf(train.pixels, train.count);
const testRows = rowsOf(test.pixels, test.count);
const files = await Promise.all(
  Array.from({ length: train.count }, async (_, i) => ({
    path: `img-${String(i).padStart(5, "0")}.png`,
    data: await sharp(Buffer.from(train.pixels.subarray(i * 784, (i + 1) * 784)), { raw: { width: 28, height: 28, channels: 1 } })
      .png()
      .toBuffer(),
    truth: train.labels[i]!,
    row: i,
  })),
);
console.log(`${train.count} training images (PNG), ${test.count} test images; rounds of ${roundSize} labels up to ${maxLabels}; orders ${orders.join(", ")}`);

const t = await startTestServer("pglite");
const curves: Record<string, { labels: number; accuracy: number }[]> = {};
try {
  for (const order of orders) {
    const t0 = performance.now();
    const owner = await TestUser.signUp(t.baseUrl, `owner-${order.toLowerCase()}@example.com`);
    const { id: projectId } = await owner.trpc.projects.create.mutate({ name: `Active ${order}`, classes: train.classes.map((name) => ({ name: name.replace(/\//g, "-") })) });
    const classIds = (await owner.trpc.classes.list.query({ projectId })).map((c) => c.id);
    const { uploadId } = await owner.trpc.uploads.start.mutate({ projectId });
    for (let s = 0; s < files.length; s += 500)
      await owner.uploadFiles(
        uploadId,
        files.slice(s, s + 500).map((f) => ({ path: f.path, data: f.data })),
      );
    await owner.trpc.uploads.finish.mutate({ projectId, uploadId });
    const byName = new Map(files.map((f) => [f.path, f]));
    const imageRow = new Map<string, { truth: number; row: number }>();
    for (let cursor: number | null = 0; cursor !== null; ) {
      const page: { items: { id: string; filename: string }[]; nextCursor: number | null } = await owner.trpc.images.list.query({ projectId, cursor, limit: 1000 });
      for (const img of page.items) imageRow.set(img.id, byName.get(img.filename)!);
      cursor = page.nextCursor;
    }
    await owner.trpc.projects.update.mutate({ projectId, queueOrder: order });
    const trainer = createTrainerApi(t.baseUrl, (await owner.trpc.training.createToken.mutate({ projectId, name: "bench" })).token);
    const lease = await trainer.trpc.claimLease.mutate({ projectId, holder: "bench:active", ttlSeconds: 600 });
    if (!lease.ok) throw new Error("no trainer lease");
    const version = await trainer.publishModel(
      projectId,
      lease.leaseId,
      { stage: "PRETRAIN", classIds, metrics: null, provenance: { bench: "active" }, imageCount: imageRow.size, labelledCount: 0 },
      [],
    );
    if (order === "DIVERSE") {
      // What the trainer posts with its map: every image's embedding (here its pixel rows) and k-means cluster of them.
      const ids = [...imageRow.keys()];
      const rows = (await trainRows.data()) as Float32Array;
      const dim = SIDE * SIDE;
      const features = new Float32Array(ids.length * dim);
      ids.forEach((id, k) => features.set(rows.subarray(imageRow.get(id)!.row * dim, (imageRow.get(id)!.row + 1) * dim), k * dim));
      const { assignment } = await kMeans(features, dim, clusterCount(ids.length), 1);
      // 200 rows of 400 values a request keeps within the server's body limit.
      for (let s = 0; s < ids.length; s += 200) {
        await trainer.trpc.postEmbeddings.mutate({
          projectId,
          leaseId: lease.leaseId,
          modelVersionId: version.id,
          items: ids.slice(s, s + 200).map((imageId, j) => ({ imageId, vector: encodeVector(features.subarray((s + j) * dim, (s + j + 1) * dim)) })),
        });
      }
      await trainer.trpc.postMapPoints.mutate({
        projectId,
        leaseId: lease.leaseId,
        modelVersionId: version.id,
        points: ids.map((imageId, k) => ({ imageId, x: 0.5, y: 0.5, cluster: assignment[k]! })),
      });
    }
    const socket = await connect(t.baseUrl, owner.cookie);
    const labelled = new Map<string, number>();
    const curve: { labels: number; accuracy: number }[] = [];
    while (labelled.size < maxLabels) {
      // One round: claim and label, as a person would, in the order the project's queue hands images out.
      for (let i = 0; i < roundSize && labelled.size < maxLabels; i++) {
        const claim = await call(socket, "image:claim", { projectId });
        const image = claim.image as { id: string } | null;
        if (!claim.ok || !image) break;
        const truth = imageRow.get(image.id)!.truth;
        const r = await call(socket, "label:set", { projectId, imageId: image.id, classId: classIds[truth], clientLabelId: crypto.randomUUID() });
        if (!r.ok) throw new Error(`label refused: ${JSON.stringify(r)}`);
        labelled.set(image.id, truth);
      }
      // The lease lives as long as a trainer renews it.
      await trainer.trpc.renewLease.mutate({ projectId, leaseId: lease.leaseId, ttlSeconds: 600 });
      // The quick head on the labels so far; its suggestions for the rest, posted as the trainer posts them.
      const ids = [...labelled.keys()];
      const x = tf.tidy(
        () =>
          tf.gather(
            trainRows,
            tf.tensor1d(
              ids.map((id) => imageRow.get(id)!.row),
              "int32",
            ),
          ) as tf.Tensor2D,
      );
      const head = await fitQuickHead(
        x,
        ids.map((id) => labelled.get(id)!),
        { numClasses: classIds.length, seed: 1, features: "pixels" },
      ).finally(() => x.dispose());
      try {
        const pTest = await head.probabilities(testRows);
        let correct = 0;
        for (let i = 0; i < test.count; i++) {
          let best = 0;
          for (let c = 1; c < classIds.length; c++) if (pTest[i * 10 + c]! > pTest[i * 10 + best]!) best = c;
          if (best === test.labels[i]) correct++;
        }
        curve.push({ labels: labelled.size, accuracy: Number(((100 * correct) / test.count).toFixed(2)) });
        const rest = [...imageRow.keys()].filter((id) => !labelled.has(id));
        if (rest.length > 0 && order !== "OLDEST" && order !== "RANDOM") {
          const xr = tf.tidy(
            () =>
              tf.gather(
                trainRows,
                tf.tensor1d(
                  rest.map((id) => imageRow.get(id)!.row),
                  "int32",
                ),
              ) as tf.Tensor2D,
          );
          const p = await head.probabilities(xr).finally(() => xr.dispose());
          const k = classIds.length;
          const items = rest.map((imageId, r) => {
            const probs = Array.from(p.subarray(r * k, (r + 1) * k), (v) => Math.min(1, Math.max(0, v)));
            const c = probs.indexOf(Math.max(...probs));
            return { imageId, classId: classIds[c]!, confidence: probs[c]!, probabilities: probs };
          });
          for (let s = 0; s < items.length; s += 1000)
            await trainer.trpc.postPseudoLabels.mutate({ projectId, leaseId: lease.leaseId, modelVersionId: version.id, items: items.slice(s, s + 1000), refresh: true });
        }
      } finally {
        head.dispose();
      }
      const last = curve[curve.length - 1]!;
      process.stdout.write(`\r${order.padEnd(16)} ${String(last.labels).padStart(5)} labels: ${last.accuracy.toFixed(1)}%   `);
    }
    socket.close();
    curves[order] = curve;
    console.log(`\n${order}: ${curve.map((c) => `${c.labels}:${c.accuracy.toFixed(1)}`).join(" ")} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
} finally {
  await t.close();
}

// Random ordering's accuracy at the last round, and for each order the fewest labels that reached it.
const random = curves.RANDOM?.at(-1);
const labelsToMatchRandom = Object.fromEntries(Object.entries(curves).map(([order, curve]) => [order, random ? (curve.find((c) => c.accuracy >= random.accuracy)?.labels ?? null) : null]));
console.log(`\norder             ${(curves[orders[0]!] ?? []).map((c) => String(c.labels).padStart(6)).join("")}`);
for (const [order, curve] of Object.entries(curves)) console.log(order.padEnd(18) + curve.map((c) => c.accuracy.toFixed(1).padStart(6)).join(""));
console.log(`random ordering at ${random?.labels ?? "?"} labels: ${random?.accuracy ?? "?"}%; labels each order needed to reach it: ${JSON.stringify(labelsToMatchRandom)}`);
console.log(
  JSON.stringify({
    images: train.count,
    test: test.count,
    features: `pixels ${SIDE}x${SIDE}`,
    head: "quick head (linear probe, or kNN where it cross-validates clearly better)",
    curves,
    [`labelsToMatchRandomAt${maxLabels}`]: labelsToMatchRandom,
  }),
);
process.exit(0);
