// `npm run bench:loop`: the learning loop of the real product, measured from outside as a user meets it (issue 12).
// For each label fraction: the production server with its local trainer (loop/product.ts: `npm start`'s way, every
// trainer setting at its default) on a fresh embedded database; a new account signs up over HTTP, creates a project
// with the ten Fashion-MNIST classes and uploads the first N training images as ONE zip through the upload endpoint,
// a stratified, seeded fraction inside class folders (labelled by folder), the rest at the root. t0 = the upload's
// end. Until the budget runs out it polls models.list; every published teacher and student is downloaded and scored
// on the first M test images (never uploaded, written as PNGs) by loop/score-models.mjs, a separate process with
// stock TensorFlow.js only. In the same run, on the same labels and test images, the baselines of @fewlabel/ml's
// eval (pixel kNN k=1/5, pixel logistic regression, kNN on the default encoder at its random initialisation).
// Prints a timeline as it goes, a table at the end, and one JSON object as the last line.
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { FASHION_MNIST_CLASSES, fashionMnistAvailable, FASHION_MNIST_DIR, type GrayImageSet, imageAt, loadFashionMnist } from "@fewlabel/datasets";
import { BASELINE_NAMES, type BaselineName, type BaselineResult, bestBaseline, computeBaselines, createEncoder, PREPROCESSING_VERSION, preprocessPixels, selectBackend, tf } from "@fewlabel/ml";
import { mapConcurrentToArray, writeZip } from "@fewlabel/storage";
import sharp from "sharp";
import { readConfig } from "../../trainer/src/config";
import { CPU_INPUT_SIZE } from "../../trainer/src/input-size";
import { TestUser } from "../test/harness";
import { accuracyAt, classFolderName, type ScoredModel, type TimelineEntry, zipLayout } from "./loop/plan";
import { ensureBuild, repoRoot, spawnGroup, startProduct } from "./loop/product";

const usage = `usage: npm run bench:loop -- [--fractions 0.1,0.01] [--images 3000] [--test-images 2000] [--minutes 30] [--seed 0] [--out DIR] [--verbose]
  [--trainer-env FEWLABEL_X=V,...]  only to check the bench itself in minutes: trainer settings that differ from the
                                    product's defaults (recorded in the output as trainerOverrides; not a measurement)`;

interface Options {
  fractions: number[];
  images: number;
  testImages: number;
  minutes: number;
  seed: number;
  out?: string;
  verbose: boolean;
  trainerOverrides?: Record<string, string>;
}

function options(): Options {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      fractions: { type: "string", default: "0.1,0.01" },
      images: { type: "string", default: "3000" },
      "test-images": { type: "string", default: "2000" },
      minutes: { type: "string", default: "30" },
      seed: { type: "string", default: "0" },
      out: { type: "string" },
      verbose: { type: "boolean", default: false },
      "trainer-env": { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const o: Options = {
    fractions: values.fractions.split(",").map(Number),
    images: Number(values.images),
    testImages: Number(values["test-images"]),
    minutes: Number(values.minutes),
    seed: Number(values.seed),
    out: values.out ? path.resolve(values.out) : undefined,
    verbose: values.verbose,
    trainerOverrides: values["trainer-env"] ? trainerOverrides(values["trainer-env"]) : undefined,
  };
  if (o.fractions.length === 0 || o.fractions.some((f) => !(f > 0 && f <= 1))) throw new Error(`--fractions ${values.fractions}: expected numbers in (0, 1]`);
  if (!(Number.isInteger(o.images) && o.images >= 10 && o.images <= 60_000)) throw new Error(`--images ${values.images}: expected a whole number from 10 to 60000`);
  if (!(Number.isInteger(o.testImages) && o.testImages >= 1 && o.testImages <= 10_000)) throw new Error(`--test-images ${values["test-images"]}: expected a whole number from 1 to 10000`);
  if (!(o.minutes > 0)) throw new Error(`--minutes ${values.minutes}: expected a positive number`);
  if (!Number.isInteger(o.seed)) throw new Error(`--seed ${values.seed}: expected a whole number`);
  return o;
}

function trainerOverrides(spec: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of spec.split(",").filter(Boolean)) {
    const [key, ...value] = pair.split("=");
    if (!key || !/^FEWLABEL_[A-Z0-9_]+$/.test(key) || key === "FEWLABEL_DATA_DIR" || value.length === 0) throw new Error(`--trainer-env: "${pair}" is not FEWLABEL_SETTING=value`);
    out[key] = value.join("=");
  }
  return out;
}

const classNames = FASHION_MNIST_CLASSES.map(classFolderName);
const pct = (v: number | null | undefined, digits = 1) => (v === null || v === undefined ? "-" : `${v.toFixed(digits)}%`);
const round2 = (v: number) => Math.round(v * 100) / 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const started = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s] ${line}`);

function grayPng(set: GrayImageSet, i: number): Promise<Buffer> {
  return sharp(Buffer.from(imageAt(set, i)), { raw: { width: set.width, height: set.height, channels: 1 } })
    .toColourspace("b-w")
    .png()
    .toBuffer();
}

/** The test images as PNG files plus test.json, the scorer's input. */
async function writeTestSet(dir: string, test: GrayImageSet): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const files = Array.from({ length: test.count }, (_, i) => `test-${String(i).padStart(5, "0")}.png`);
  await mapConcurrentToArray(files, 8, async (file, i) => fs.promises.writeFile(path.join(dir, file), await grayPng(test, i)));
  fs.writeFileSync(path.join(dir, "test.json"), JSON.stringify({ classes: classNames, files, labels: Array.from(test.labels) }));
}

// ---------------------------------------------------------------------------------------------------------------
// Baselines: @fewlabel/ml's eval on the labelled uploaded images and the test images.

/** Accuracy in percent per baseline (null: not computed). */
type Baselines = Record<BaselineName, number | null>;

/** [n, h, w, 1] raw pixels / 255 of the given images. */
function rawTensor(set: GrayImageSet, indices: ArrayLike<number>): tf.Tensor4D {
  const per = set.width * set.height;
  const out = new Float32Array(indices.length * per);
  for (let k = 0; k < indices.length; k++) {
    const px = imageAt(set, indices[k]!);
    for (let p = 0; p < per; p++) out[k * per + p] = px[p]! / 255;
  }
  return tf.tensor4d(out, [indices.length, set.height, set.width, 1]);
}

/** The product's model input (its one preprocessing, at the default input size) of the given images. */
function inputTensor(set: GrayImageSet, indices: ArrayLike<number>, size: number): tf.Tensor4D {
  const per = size * size;
  const out = new Float32Array(indices.length * per);
  for (let k = 0; k < indices.length; k++) {
    out.set(
      preprocessPixels({ data: imageAt(set, indices[k]!), width: set.width, height: set.height, channels: 1 }, { version: PREPROCESSING_VERSION, height: size, width: size, channels: 1 }),
      k * per,
    );
  }
  return tf.tensor4d(out, [indices.length, size, size, 1]);
}

async function baselines(train: GrayImageSet, labelled: number[], test: GrayImageSet): Promise<BaselineResult[]> {
  // The trainer's defaults, from the one place that defines them (its environment is not read here).
  const defaults = readConfig(Object.assign({} as NodeJS.ProcessEnv, { FEWLABEL_URL: "http://unused", FEWLABEL_TRAINER_TOKEN: "unused" }));
  const testIdx = Array.from({ length: test.count }, (_, i) => i);
  const trainLabels = labelled.map((i) => train.labels[i]!);
  const numClasses = classNames.length;
  const out: BaselineResult[] = [];
  // Pixels as they are (28 x 28), as anyone would run these baselines.
  {
    const a = rawTensor(train, labelled),
      b = rawTensor(test, testIdx);
    try {
      out.push(...(await computeBaselines({ train: { images: a, labels: trainLabels }, test: { images: b, labels: test.labels }, numClasses, seed: 1 })));
    } finally {
      tf.dispose([a, b]);
    }
  }
  // The encoder sees the model's input: the product's preprocessing to its default input size, and the product's
  // initial weights (its default seed). Only its result is taken from this call; the pixel baselines are the ones
  // on raw pixels above.
  {
    // What the trainer picks on a CPU when FEWLABEL_INPUT_SIZE is not set (the bench trains on wasm).
    const size = defaults.inputSize ?? CPU_INPUT_SIZE;
    const encoder = createEncoder({ inputSize: size, channels: 1, widths: defaults.encoderWidths, blocks: defaults.encoderBlocks, seed: defaults.seed });
    const a = inputTensor(train, labelled, size),
      b = inputTensor(test, testIdx, size);
    try {
      const r = await computeBaselines({ train: { images: a, labels: trainLabels }, test: { images: b, labels: test.labels }, numClasses, randomEncoder: encoder, seed: 1 });
      out.push(...r.filter((x) => x.name === "random-encoder-knn"));
    } finally {
      tf.dispose([a, b]);
      encoder.dispose();
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Scoring downloaded models in a separate process with stock TensorFlow.js.

interface ScorerOutput {
  results: { dir: string; testAccuracy: number | null; preprocessing?: string; error?: string; predicted?: number[] }[];
}

function runScorer(testDir: string, modelDirs: string[]): Promise<ScorerOutput> {
  const child = spawnGroup(process.execPath, [path.join(repoRoot, "apps/web/bench/loop/score-models.mjs"), testDir, ...modelDirs], { env: process.env });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => {
      const last = out.trim().split("\n").pop() ?? "";
      try {
        if (code !== 0) throw new Error(`exit code ${code}`);
        resolve(JSON.parse(last) as ScorerOutput);
      } catch (e) {
        reject(new Error(`the scorer failed (${(e as Error).message}): ${err.trim().split("\n").slice(-3).join(" | ")}`));
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// One run: a fresh product, one upload, a timeline.

interface ModelVersionRow {
  id: string;
  version: number;
  stage: string;
  createdAt: Date;
  metrics: {
    accuracy: number;
    heldOut: number;
    method?: string;
    interval?: { low: number; high: number };
    baselines?: { name: string; accuracy: number }[];
    head?: { chosen: string };
  } | null;
  files: Partial<Record<"teacher" | "student" | "encoder", string[]>>;
  serving?: boolean;
  beatsBaselines?: boolean | null;
  regression?: boolean;
  heldOutShortfall?: { heldOut: number; minHeldOut: number } | null;
}

interface RunEntry extends TimelineEntry {
  /** The version served its kind at some poll (the product's own choice, services/serving-model.ts). */
  served?: boolean;
  /** For a teacher identical to one scored before (a distillation ships its teacher again): that version. */
  teacherSameAs?: number;
  agreement?: number;
}

interface RunResult {
  labelFraction: number;
  images: number;
  labelled: number;
  testImages: number;
  minutes: number;
  seed: number;
  timeline: RunEntry[];
  baselines: Baselines;
  bestBaseline: { name: string; accuracy: number } | null;
  studentAt10min: number | null;
  studentAt30min: number | null;
  teacherAt10min: number | null;
  teacherAt30min: number | null;
  /** Versions that served at some point although the bench scored them below the best baseline. */
  servedBelowBestBaseline: number[];
  /** Only when --trainer-env was given: the settings that differed from the product's defaults. */
  trainerOverrides?: Record<string, string>;
}

async function oneRun(o: Options, fraction: number, train: GrayImageSet, test: GrayImageSet, testDir: string, work: string): Promise<RunResult> {
  const tag = `${+(fraction * 100).toPrecision(3)}%`;
  const layout = zipLayout(train.labels, classNames, fraction, o.seed);
  const labelled = layout.filter((e) => e.labelled).map((e) => e.index);
  log(`run ${tag}: ${o.images} images, ${labelled.length} labelled by folder (seed ${o.seed}), ${test.count} test images, ${o.minutes} min after the upload`);

  log(`${tag}: baselines on the same ${labelled.length} labels and ${test.count} test images...`);
  const computed = await baselines(train, labelled, test);
  const base = Object.fromEntries(BASELINE_NAMES.map((n) => [n, null])) as Baselines;
  for (const r of computed) base[r.name] = round2(r.accuracy * 100);
  const strongest = bestBaseline(computed);
  const best = strongest ? { name: strongest.name, accuracy: round2(strongest.accuracy * 100) } : null;
  log(`${tag}: baselines: ${BASELINE_NAMES.map((n) => `${n} ${pct(base[n])}`).join(", ")}; best ${best ? `${best.name} ${pct(best.accuracy)}` : "-"}`);

  const zip = await zipBuffer(layout, train);
  log(`${tag}: zip of ${layout.length} PNGs, ${(zip.length / 2 ** 20).toFixed(1)} MB`);

  // Inside the work directory, so that it goes with it whatever ends the bench.
  const dataDir = fs.mkdtempSync(path.join(work, "data-"));
  const logFile = path.join(work, `product-${tag.replace("%", "pct")}.log`);
  const models = path.join(work, `models-${tag.replace("%", "pct")}`);
  const timeline: RunEntry[] = [];
  let scoring: Promise<void> = Promise.resolve();
  let product: Awaited<ReturnType<typeof startProduct>> | undefined;
  try {
    await ensureBuild(log);
    if (o.trainerOverrides)
      log(
        `${tag}: WARNING: trainer settings differ from the defaults (${Object.entries(o.trainerOverrides)
          .map(([k, v]) => `${k}=${v}`)
          .join(" ")}): this checks the bench, it does not measure the product`,
      );
    product = await startProduct({
      dataDir,
      logFile,
      trainerOverrides: o.trainerOverrides,
      echo: (line) => (o.verbose || /error|fail/i.test(line) ? log(`${tag} product: ${line.trim()}`) : undefined),
    });
    stopRunning = product.stop;
    log(`${tag}: product ready on ${product.url} (data in ${dataDir}, log ${logFile})`);
    const user = await TestUser.signUp(product.url, "bench@example.com");
    const { id: projectId } = await user.trpc.projects.create.mutate({ name: `bench:loop ${tag}`, classes: classNames.map((name) => ({ name })) });

    const { uploadId } = await user.trpc.uploads.start.mutate({ projectId });
    const sent = await user.uploadFiles(uploadId, [{ path: "fashion-mnist.zip", data: zip }]);
    await user.trpc.uploads.finish.mutate({ projectId, uploadId });
    const t0 = Date.now();
    const summary = sent.body as { type?: string; accepted?: number; labelled?: number; rejected?: unknown[]; warnings?: unknown[]; error?: string };
    if (sent.status !== 200 || summary.type !== "done") throw new Error(`the upload failed: ${JSON.stringify(summary).slice(0, 500)}`);
    log(`${tag}: upload finished (t0): ${summary.accepted} accepted, ${summary.labelled} labelled, ${summary.rejected?.length ?? 0} refused, ${summary.warnings?.length ?? 0} warnings`);
    if (summary.accepted !== layout.length || summary.labelled !== labelled.length) throw new Error(`expected ${layout.length} images with ${labelled.length} labels to go in`);

    const seen = new Map<string, RunEntry>();
    const teacherHashes = new Map<string, number>();
    /** Each scored teacher's prediction per test image, by its weights' hash: the students' agreement with it. */
    const teacherPredictions = new Map<string, Promise<number[] | undefined>>();
    const deadline = t0 + o.minutes * 60_000;
    let lastStatus = "";
    let lastProgress = 0;

    const download = async (v: ModelVersionRow, kind: "teacher" | "student"): Promise<{ dir: string; hash: string } | null> => {
      const files = v.files[kind];
      if (!files?.length) return null;
      const dir = path.join(models, `v${v.version}`, kind);
      fs.mkdirSync(dir, { recursive: true });
      for (const file of files) {
        const res = await user.fetch(`/api/models/${v.id}/${kind}/${encodeURIComponent(file)}`);
        if (!res.ok) throw new Error(`GET ${kind}/${file} of version ${v.version}: HTTP ${res.status}`);
        fs.writeFileSync(path.join(dir, file), Buffer.from(await res.arrayBuffer()));
      }
      // Two exports of one kind with the same weights are one model (a distillation ships its teacher again, with a
      // fresh metadata.json): the weight shards decide.
      const hash = createHash("sha256");
      const manifest = (JSON.parse(fs.readFileSync(path.join(dir, "model.json"), "utf8")) as { weightsManifest: { paths: string[] }[] }).weightsManifest;
      for (const shard of manifest.flatMap((g) => g.paths)) hash.update(fs.readFileSync(path.join(dir, shard)));
      return { dir, hash: hash.digest("hex") };
    };

    const poll = async () => {
      const list = (await user.trpc.models.list.query({ projectId })) as unknown as ModelVersionRow[];
      for (const v of [...list].sort((a, b) => a.version - b.version)) {
        const known = seen.get(v.id);
        if (known) {
          if (v.serving) known.served = true;
          continue;
        }
        const seconds = (new Date(v.createdAt).getTime() - t0) / 1000;
        if (seconds * 1000 > o.minutes * 60_000) continue;
        const m = v.metrics;
        const p100 = (x: number) => round2(x * 100);
        const entry: RunEntry = {
          seconds: round2(seconds),
          version: v.version,
          stage: v.stage,
          heldOutAccuracy: m ? p100(m.accuracy) : null,
          heldOut: m?.heldOut ?? v.heldOutShortfall?.heldOut ?? null,
          ...(m?.method ? { method: m.head?.chosen ? `${m.method}: ${m.head.chosen}` : m.method } : {}),
          ...(m?.interval ? { interval: { low: p100(m.interval.low), high: p100(m.interval.high) } } : {}),
          ...(m?.baselines ? { productBaselines: Object.fromEntries(m.baselines.map((b) => [b.name, p100(b.accuracy)])) } : {}),
          ...(v.serving ? { served: true } : {}),
        };
        seen.set(v.id, entry);
        timeline.push(entry);
        const productBest = m?.baselines?.length ? m.baselines.reduce((a, b) => (b.accuracy > a.accuracy ? b : a)) : null;
        log(
          `${tag}: +${seconds.toFixed(0)} s  v${v.version} ${v.stage}  held-out ${m ? `${pct(m.accuracy * 100)} of ${m.heldOut}${m.interval ? ` [${pct(m.interval.low * 100, 0)}, ${pct(m.interval.high * 100, 0)}]` : ""}${entry.method ? ` (${entry.method})` : ""}` : v.heldOutShortfall ? `none (${v.heldOutShortfall.heldOut} of ${v.heldOutShortfall.minHeldOut} held-out labels)` : "none"}` +
            `${productBest ? `; its baselines' best ${productBest.name} ${pct(productBest.accuracy * 100)}` : ""}${v.serving ? "; serving" : ""}${v.beatsBaselines === false ? "; below its baselines" : ""}${v.regression ? "; a regression" : ""}`,
        );
        const student = await download(v, "student");
        const shipped = await download(v, "teacher");
        let teacher = shipped;
        if (shipped && teacherHashes.has(shipped.hash)) {
          entry.teacherSameAs = teacherHashes.get(shipped.hash)!;
          teacher = null;
        } else if (shipped) teacherHashes.set(shipped.hash, v.version);
        const dirs = [teacher?.dir, student?.dir].filter((d): d is string => !!d);
        if (dirs.length === 0) continue;
        let predictedByTeacher: (p: number[] | undefined) => void = () => {};
        if (teacher) teacherPredictions.set(teacher.hash, new Promise((resolve) => (predictedByTeacher = resolve)));
        scoring = scoring.then(async () => {
          let result: ScorerOutput;
          try {
            result = await runScorer(testDir, dirs);
          } catch (err) {
            result = { results: dirs.map((dir) => ({ dir, testAccuracy: null, error: (err as Error).message })) };
          }
          const find = (dir: string | undefined) => result.results.find((x) => x.dir === dir);
          const pick = (dir: string | undefined): ScoredModel | undefined => {
            const r = find(dir);
            return r ? { testAccuracy: r.testAccuracy === null ? null : round2(r.testAccuracy), preprocessing: r.preprocessing, ...(r.error ? { error: r.error } : {}) } : undefined;
          };
          if (teacher) {
            entry.teacher = pick(teacher.dir);
            predictedByTeacher(find(teacher.dir)?.predicted);
          }
          if (student) {
            entry.student = pick(student.dir);
            // Agreement with the teacher this version ships (the one it was distilled from), on the test images.
            const s = find(student.dir)?.predicted;
            const t = shipped ? await teacherPredictions.get(shipped.hash) : undefined;
            if (s && t) entry.agreement = round2((100 * s.filter((c, i) => c === t[i]).length) / s.length);
          }
          const errors = result.results.filter((r) => r.error).map((r) => r.error);
          log(
            `${tag}: scored v${v.version} on ${test.count} test images (stock tfjs): teacher ${entry.teacher ? pct(entry.teacher.testAccuracy) : entry.teacherSameAs ? `= v${entry.teacherSameAs}` : "-"}, student ${entry.student ? pct(entry.student.testAccuracy) : "-"}` +
              `${entry.agreement !== undefined ? `, agreement ${pct(entry.agreement)}` : ""}; best baseline ${best ? pct(best.accuracy) : "-"}${errors.length ? `; ERROR ${errors.join("; ")}` : ""}`,
          );
        });
      }

      const status = await user.trpc.training.status.query({ projectId });
      const c = status.current;
      const line = c ? `${c.stage} ${c.status}` : status.trainerError ? `trainer error: ${status.trainerError.message}` : "no run yet";
      if (line !== lastStatus || (c?.status === "RUNNING" && Date.now() - lastProgress > 60_000)) {
        lastStatus = line;
        lastProgress = Date.now();
        log(
          `${tag}: training: ${line}${c ? ` step ${c.step}/${c.totalSteps}${c.imagesPerSecond ? `, ${c.imagesPerSecond.toFixed(0)} img/s` : ""}${c.backend ? `, ${c.backend.split(";")[0]}${c.backend.includes(";") ? ")" : ""}` : ""}${c.error ? `, error: ${c.error}` : ""}` : ""}`,
        );
      }
    };

    // A poll that fails (a server busy with training on two cores) is retried; many in a row end the run.
    let failures = 0;
    const pollTolerant = async () => {
      try {
        await poll();
        failures = 0;
      } catch (err) {
        if (++failures >= 10) throw err;
        log(`${tag}: poll failed (${(err as Error).message}); retrying`);
      }
    };
    while (Date.now() < deadline) {
      await pollTolerant();
      await sleep(Math.max(0, Math.min(3000, deadline - Date.now())));
    }
    await pollTolerant();
    log(`${tag}: ${o.minutes} min after the upload: stopping the product`);
  } finally {
    stopRunning = undefined;
    await product?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  await scoring;

  const watched = o.minutes * 60;
  const scoredBelow = (e: RunEntry) => {
    const kind = e.stage === "DISTIL" ? e.student : e.teacher;
    return best !== null && kind?.testAccuracy !== null && kind?.testAccuracy !== undefined && kind.testAccuracy < best.accuracy;
  };
  return {
    labelFraction: fraction,
    images: o.images,
    labelled: labelled.length,
    testImages: test.count,
    minutes: o.minutes,
    seed: o.seed,
    timeline,
    baselines: base,
    bestBaseline: best,
    studentAt10min: accuracyAt(timeline, "student", 600, watched),
    studentAt30min: accuracyAt(timeline, "student", 1800, watched),
    teacherAt10min: accuracyAt(timeline, "teacher", 600, watched),
    teacherAt30min: accuracyAt(timeline, "teacher", 1800, watched),
    servedBelowBestBaseline: timeline.filter((e) => e.served && scoredBelow(e)).map((e) => e.version),
    ...(o.trainerOverrides ? { trainerOverrides: o.trainerOverrides } : {}),
  };
}

async function zipBuffer(layout: ReturnType<typeof zipLayout>, train: GrayImageSet): Promise<Buffer> {
  const pngs = await mapConcurrentToArray(layout, 8, (e) => grayPng(train, e.index));
  const chunks: Buffer[] = [];
  for await (const chunk of writeZip(layout.map((e, i) => ({ path: e.path, data: pngs[i]! })))) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

// ---------------------------------------------------------------------------------------------------------------

function table(runs: RunResult[]): string {
  const lines: string[] = [];
  for (const r of runs) {
    lines.push(
      `### ${+(r.labelFraction * 100).toPrecision(3)}% labels: ${r.labelled} of ${r.images} images labelled, ${r.testImages} test images, ${r.minutes} min after the upload (seed ${r.seed})`,
      "",
      "| s after upload | version | stage | product held-out | its baselines' best (held-out) | bench teacher | bench student | teacher/student agreement |",
      "| ---: | ---: | --- | --- | --- | --- | --- | --- |",
    );
    for (const e of r.timeline) {
      const teacher = e.teacher ? pct(e.teacher.testAccuracy) : e.teacherSameAs ? `(= v${e.teacherSameAs})` : "";
      lines.push(
        `| ${e.seconds.toFixed(0)} | ${e.version} | ${e.stage} | ${e.heldOutAccuracy === null ? `none${e.heldOut !== null ? ` (${e.heldOut} held out)` : ""}` : `${pct(e.heldOutAccuracy)} of ${e.heldOut}${e.method ? ` (${e.method})` : ""}`} | ${bestOf(e.productBaselines)} | ${teacher} | ${e.student ? pct(e.student.testAccuracy) : ""} | ${e.agreement !== undefined ? pct(e.agreement) : ""} |`,
      );
    }
    if (r.timeline.length === 0) lines.push("| | | nothing published | | | | | |");
    lines.push(
      "",
      `Baselines (same labels, same test images): ${BASELINE_NAMES.map((n) => `${n} ${pct(r.baselines[n])}`).join(", ")}; best ${r.bestBaseline ? `${r.bestBaseline.name} ${pct(r.bestBaseline.accuracy)}` : "-"}.`,
      `Student at 10 / 30 min: ${pct(r.studentAt10min)} / ${pct(r.studentAt30min)}; teacher at 10 / 30 min: ${pct(r.teacherAt10min)} / ${pct(r.teacherAt30min)}` +
        (r.bestBaseline ? `; student minus best baseline at 10 / 30 min: ${diff(r.studentAt10min, r.bestBaseline.accuracy)} / ${diff(r.studentAt30min, r.bestBaseline.accuracy)} points.` : "."),
      `Served although below the best baseline: ${r.servedBelowBestBaseline.length ? r.servedBelowBestBaseline.map((v) => `v${v}`).join(", ") : "none"}.`,
      "",
    );
  }
  return lines.join("\n");
}

const bestOf = (baselines: Record<string, number> | undefined) => {
  const best = Object.entries(baselines ?? {}).sort((a, b) => b[1] - a[1])[0];
  return best ? `${best[0]} ${pct(best[1])}` : "";
};
const diff = (a: number | null, b: number) => (a === null ? "-" : `${a - b >= 0 ? "+" : ""}${(a - b).toFixed(1)}`);

/** Stops the product of the run under way, if one is running (for a signal). */
let stopRunning: (() => Promise<void>) | undefined;
let interruptedAt = 0;

async function main() {
  const o = options();
  if (!fashionMnistAvailable()) throw new Error(`Fashion-MNIST not found in ${FASHION_MNIST_DIR}. Install it with: apt-get install -y dataset-fashion-mnist`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "fewlabel-bench-loop-"));
  const cleanup = () => fs.rmSync(work, { recursive: true, force: true });
  process.on("exit", cleanup);
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    // The product stops as it would on Ctrl-C (its trainer checkpoints and lets go of its lease), for at most 30 s;
    // whatever is left of its process group is killed by loop/product.ts's exit hook. A second signal exits at once;
    // copies of the first (the terminal signals the whole group, and npm and tsx pass it on too) arrive within
    // moments and are not a second one.
    process.on(sig, () => {
      if (interruptedAt) {
        if (Date.now() - interruptedAt > 3000) process.exit(130);
        return;
      }
      interruptedAt = Date.now();
      console.error(`bench:loop: ${sig}, stopping the product and everything else it started`);
      void Promise.race([stopRunning?.(), sleep(30_000)]).finally(() => process.exit(130));
    });
  }
  const backend = await selectBackend({ order: ["wasm", "cpu"] });
  const train = loadFashionMnist("train", { limit: o.images });
  const test = loadFashionMnist("test", { limit: o.testImages });
  const testDir = path.join(work, "test");
  await writeTestSet(testDir, test);
  log(`bench:loop: ${o.images} training images, ${test.count} test PNGs written; baselines on ${backend.name}; fractions ${o.fractions.join(", ")}`);

  const runs: RunResult[] = [];
  for (const fraction of o.fractions) {
    runs.push(await oneRun(o, fraction, train, test, testDir, work));
    if (o.out) {
      fs.mkdirSync(o.out, { recursive: true });
      for (const f of fs.readdirSync(work).filter((f) => f.endsWith(".log"))) fs.copyFileSync(path.join(work, f), path.join(o.out, f));
    }
  }

  const report = table(runs);
  console.log(`\n${report}`);
  const json = JSON.stringify({ runs });
  if (o.out) {
    fs.mkdirSync(o.out, { recursive: true });
    fs.writeFileSync(path.join(o.out, "results.md"), `# npm run bench:loop -- ${process.argv.slice(2).join(" ")}\n\n${new Date().toISOString()}\n\n${report}`);
    fs.writeFileSync(path.join(o.out, "results.json"), `${JSON.stringify({ runs }, null, 2)}\n`);
    console.log(`(written to ${o.out}: results.md, results.json, product-*.log)`);
  }
  console.log(json);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench:loop: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n${usage}`);
    process.exit(1);
  },
);
