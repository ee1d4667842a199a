// `npm run bench:duplicates` (issue 17): near-duplicate groups and possible label errors, on Fashion-MNIST.
//  1. Near-duplicates: the first --images training images plus --planted copies of randomly chosen ones, each made
//     one of four ways (resized to 36-75 px, re-encoded as JPEG at quality 70-95, cropped by 0-3 px at each side,
//     made 20-50 levels lighter or darker), all as PNG/JPEG files decoded the way the trainer decodes its working
//     copies. The detector the trainer runs (packages/ml/src/eval/nearDuplicates.ts) groups them; precision and recall
//     are over the pairs within groups (a planted copy and its source, or two copies of one source, are true pairs).
//     Fashion-MNIST holds a few pictures twice: pairs of originals whose raw pixels correlate at 0.995 or more (found
//     apart from the detector, by comparing every pair) are true pairs too; other pairs of originals found are false,
//     and listed.
//  2. Label errors: --labels human labels (stratified), 5% of them flipped to another class; the trainer's confident
//     learning (apps/trainer/src/label-issues.ts: out-of-fold kNN probabilities on the quick head's pixel rows) ranks
//     its list; recall of the flipped labels in the list's top 10% of the labels.
//   npm run bench:duplicates -- [--images 5000] [--planted 500] [--labels 1000] [--seed 7] [--per-query 4] [--floor 0.8]
// Last line: one JSON object {"duplicates": {...}, "labelErrors": {...}}.
import { loadFashionMnist } from "@fewlabel/datasets";
import { DEFAULT_DUPLICATE_RULE, type DuplicateRule, duplicateGroups, mulberry32, scoreDuplicateCandidates, selectBackend, tf } from "@fewlabel/ml";
import sharp from "sharp";
import { decodeWorkingCopy, workingSide } from "../../trainer/src/images";
import { findLabelIssues, outOfFoldProbabilities } from "../../trainer/src/label-issues";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i]!;
  if (a.startsWith("--")) args.set(a.slice(2), process.argv[i + 1] && !process.argv[i + 1]!.startsWith("--") ? process.argv[++i]! : "true");
}
const nImages = Number(args.get("images") ?? 5000);
const nPlanted = Number(args.get("planted") ?? 500);
const nLabels = Number(args.get("labels") ?? 1000);
const seed = Number(args.get("seed") ?? 7);

await selectBackend({ order: ["wasm", "cpu"] });
const train = loadFashionMnist("train", { limit: nImages });
const random = mulberry32(seed);
const raw = (i: number) => sharp(Buffer.from(train.pixels.subarray(i * 784, (i + 1) * 784)), { raw: { width: 28, height: 28, channels: 1 } });
const kinds = ["resize", "jpeg", "crop", "brightness"] as const;
type Kind = (typeof kinds)[number] | "original";
const files: { bytes: Buffer; source: number; kind: Kind }[] = [];
for (let i = 0; i < train.count; i++) files.push({ bytes: await raw(i).png().toBuffer(), source: i, kind: "original" });
for (let p = 0; p < nPlanted; p++) {
  const source = Math.floor(random() * train.count);
  const kind = kinds[p % kinds.length]!;
  const pick = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  let bytes: Buffer;
  if (kind === "resize") bytes = await raw(source).resize(pick(36, 75)).toColourspace("b-w").png().toBuffer();
  else if (kind === "jpeg")
    bytes = await raw(source)
      .jpeg({ quality: pick(70, 95) })
      .toBuffer();
  else if (kind === "crop") {
    const [l, t, r, b] = [pick(0, 3), pick(0, 3), pick(0, 3), pick(0, 3)];
    bytes = await raw(source)
      .extract({ left: l, top: t, width: 28 - l - r, height: 28 - t - b })
      .png()
      .toBuffer();
  } else
    bytes = await raw(source)
      .linear(1, (random() < 0.5 ? -1 : 1) * pick(20, 50))
      .png()
      .toBuffer();
  files.push({ bytes, source, kind });
}
const images = await Promise.all(files.map((f) => decodeWorkingCopy(f.bytes, workingSide(32))));
console.log(`${train.count} Fashion-MNIST training images and ${nPlanted} planted near-duplicates (${kinds.join(", ")})`);

const t0 = performance.now();
const scored = await scoreDuplicateCandidates(images, {
  ...(args.has("per-query") ? { candidatesPerQuery: Number(args.get("per-query")) } : {}),
  ...(args.has("floor") ? { candidateFloor: Number(args.get("floor")) } : {}),
});
const seconds = (performance.now() - t0) / 1000;
const key = (a: number, b: number) => `${Math.min(a, b)}:${Math.max(a, b)}`;
// Fashion-MNIST's own duplicates: two training images whose raw 28x28 pixels correlate at 0.995 or more are one
// photograph twice (in the first 5,000: two pairs, at 0.9995 and 0.997, their pixels within 30 and 68 levels; the
// next pairs, plain trousers, read 0.993 and less and are not copies), found by comparing every pair of originals,
// apart from the detector. They and their planted copies are true pairs like the planted ones.
const SAME_PHOTOGRAPH = 0.995;
const picture = Array.from({ length: train.count }, (_, i) => i);
const pictureOf = (i: number): number => (picture[i] === i ? i : (picture[i] = pictureOf(picture[i]!)));
const ownDuplicates: [number, number, number][] = [];
{
  const unit = tf.tidy(() => {
    const x = tf.tensor2d(Float32Array.from(train.pixels), [train.count, 784]);
    const centred = tf.sub(x, tf.mean(x, 1, true));
    return tf.div(centred, tf.maximum(tf.norm(centred, 2, 1, true), 1e-6)) as tf.Tensor2D;
  });
  for (let start = 0; start < train.count; start += 500) {
    const rows = Math.min(500, train.count - start);
    const block = tf.tidy(() => tf.matMul(tf.slice(unit, [start, 0], [rows, 784]), unit, false, true));
    const r = (await block.data()) as Float32Array;
    block.dispose();
    for (let i = 0; i < rows; i++)
      for (let j = start + i + 1; j < train.count; j++)
        if (r[i * train.count + j]! >= SAME_PHOTOGRAPH) {
          ownDuplicates.push([start + i, j, r[i * train.count + j]!]);
          picture[pictureOf(start + i)] = pictureOf(j);
        }
  }
  unit.dispose();
}
console.log(`Fashion-MNIST's own duplicates (raw pixels correlate >= ${SAME_PHOTOGRAPH}): ${ownDuplicates.map(([a, b, r]) => `#${a} ~ #${b} (${r.toFixed(4)})`).join(", ") || "none"}`);
// True pairs: every two images that are the same picture (a source and its copies, copies of one source).
const bySource = new Map<number, number[]>();
files.forEach((f, i) => bySource.set(pictureOf(f.source), [...(bySource.get(pictureOf(f.source)) ?? []), i]));
const truth = new Set<string>();
for (const members of bySource.values()) for (let x = 0; x < members.length; x++) for (let y = x + 1; y < members.length; y++) truth.add(key(members[x]!, members[y]!));
const candidateTruth = scored.filter((p) => truth.has(key(p.a, p.b))).length;
console.log(`candidates: ${scored.length} pairs verified in ${seconds.toFixed(1)} s; ${candidateTruth} of the ${truth.size} true pairs among them`);

function evaluate(rule: DuplicateRule) {
  const groups = duplicateGroups(images, scored, rule);
  const predicted = new Set<string>();
  for (const g of groups) for (let x = 0; x < g.members.length; x++) for (let y = x + 1; y < g.members.length; y++) predicted.add(key(g.members[x]!, g.members[y]!));
  const hits = [...predicted].filter((k) => truth.has(k)).length;
  const recallByKind: Record<string, string> = {};
  for (const kind of kinds) {
    const own = files.map((f, i) => ({ f, i })).filter((x) => x.f.kind === kind);
    recallByKind[kind] = `${own.filter((x) => predicted.has(key(x.i, x.f.source))).length}/${own.length}`;
  }
  return { groups, predicted, precision: predicted.size ? hits / predicted.size : 1, recall: truth.size ? hits / truth.size : 1, recallByKind };
}
// How the two thresholds trade precision for recall on this data (the product uses DEFAULT_DUPLICATE_RULE).
console.log("rule (coarse, fine): precision / recall");
for (const coarse of [0.98, 0.985, 0.99]) {
  console.log(
    `  coarse ${coarse}: ${[0.9, 0.93, 0.95, 0.97]
      .map((fine) => {
        const r = evaluate({ coarse, fine });
        return `fine ${fine} ${r.precision.toFixed(3)} / ${r.recall.toFixed(3)}`;
      })
      .join(", ")}`,
  );
}
const { groups, predicted, precision, recall, recallByKind } = evaluate(DEFAULT_DUPLICATE_RULE);
const falsePairs = [...predicted].filter((k) => !truth.has(k));
console.log(`near-duplicates (default rule coarse ${DEFAULT_DUPLICATE_RULE.coarse}, fine ${DEFAULT_DUPLICATE_RULE.fine}): ${groups.length} groups, ${predicted.size} pairs in them`);
console.log(`  precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)} (targets 0.95 and 0.95); found per kind: ${JSON.stringify(recallByKind)}`);
console.log(
  `  false pairs: ${falsePairs.length}${
    falsePairs.length
      ? ` (${falsePairs
          .slice(0, 8)
          .map((k) =>
            k
              .split(":")
              .map((i) => `${files[Number(i)]!.kind} #${files[Number(i)]!.source}`)
              .join(" ~ "),
          )
          .join("; ")})`
      : ""
  }`,
);
for (const kind of kinds) {
  const own = scored.filter((p) => truth.has(key(p.a, p.b)) && files[p.b]!.kind === kind);
  const q = (v: number[], f: number) => [...v].sort((x, y) => x - y)[Math.floor(f * (v.length - 1))]?.toFixed(4);
  console.log(
    `  ${kind}: coarse min/p10/p50 ${q(
      own.map((p) => p.coarse),
      0,
    )} ${q(
      own.map((p) => p.coarse),
      0.1,
    )} ${q(
      own.map((p) => p.coarse),
      0.5,
    )}; fine ${q(
      own.map((p) => p.fine),
      0,
    )} ${q(
      own.map((p) => p.fine),
      0.1,
    )} ${q(
      own.map((p) => p.fine),
      0.5,
    )}`,
  );
}

// Label errors.
const perClass = Math.floor(nLabels / train.classes.length);
const chosen: number[] = [];
for (let c = 0; c < train.classes.length; c++)
  chosen.push(
    ...Array.from({ length: train.count }, (_, i) => i)
      .filter((i) => train.labels[i] === c)
      .slice(0, perClass),
  );
const labels = chosen.map((i) => train.labels[i]!);
const flipped = new Set<number>();
while (flipped.size < Math.round(0.05 * chosen.length)) flipped.add(Math.floor(random() * chosen.length));
for (const r of flipped) labels[r] = (labels[r]! + 1 + Math.floor(random() * (train.classes.length - 1))) % train.classes.length;
// The quick head's pixel rows: 20 x 20 for a 28 px gray image (quick-suggestions.ts pixelSide).
const rows = tf.tidy(
  () =>
    tf.reshape(
      tf.image.resizeBilinear(
        tf.tensor4d(Float32Array.from(chosen.flatMap((i) => Array.from(train.pixels.subarray(i * 784, (i + 1) * 784), (v) => v / 255))), [chosen.length, 28, 28, 1]),
        [20, 20],
        true,
      ),
      [chosen.length, 400],
    ) as tf.Tensor2D,
);
const probabilities = await outOfFoldProbabilities(rows, labels, train.classes.length, 10);
rows.dispose();
const issues = findLabelIssues(probabilities, labels, train.classes.length);
const top = issues.slice(0, Math.round(0.1 * chosen.length));
const found = top.filter((f) => flipped.has(f.row)).length;
const labelRecall = found / flipped.size;
console.log(
  `label errors: ${flipped.size} of ${chosen.length} labels flipped; the list holds ${issues.length}; its top ${top.length} (10% of the labels) find ${found}: recall ${labelRecall.toFixed(3)} (target 0.6)`,
);
console.log(
  JSON.stringify({
    duplicates: {
      images: images.length,
      planted: nPlanted,
      candidates: scored.length,
      groups: groups.length,
      pairs: predicted.size,
      precision,
      recall,
      recallByKind,
      seconds,
      rule: DEFAULT_DUPLICATE_RULE,
    },
    labelErrors: { labels: chosen.length, flipped: flipped.size, listed: issues.length, topTenPercent: top.length, found, recall: labelRecall },
  }),
);
