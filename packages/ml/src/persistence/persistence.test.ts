import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { tmpdir } from "node:os";
import { join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { tf, type tfl } from "../tf.js";
import { selectBackend } from "../backend/select.js";
import { createEncoder, type EncoderConfig } from "../models/resnet.js";
import { createClassifierHead, createProjectionHead } from "../models/heads.js";
import { createStudent } from "../models/student.js";
import { pixelExpertRows } from "../models/edgeEnergies.js";
import { pretrainContrastive } from "../stages/pretrain.js";
import { tensorImageSource } from "../stages/imageSource.js";
import { createOptimizer } from "../optim/lars.js";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.js";
import { assembleTeacher, exportModel, loadExportedModel, makeMetadata } from "./export.js";
import { mulberry32, randomArray } from "../util/random.js";
import { preprocessingFor } from "../preprocess/preprocess.js";

const cfg: EncoderConfig = { inputSize: 28, channels: 1, widths: [4, 8], blocks: [1, 1] };
let dir = "";

beforeAll(async () => {
  await selectBackend({ order: ["wasm"] });
  dir = await mkdtemp(join(tmpdir(), "fewlabel-ml-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const allWeights = (...ms: tfl.LayersModel[]) => ms.flatMap((m) => m.getWeights().map((w) => Array.from(w.dataSync())));

describe("checkpoints", () => {
  it("a run resumed from a checkpoint ends with exactly the weights of an uninterrupted run", async () => {
    const images = tensorImageSource(
      tf.tensor4d(
        randomArray(12 * 28 * 28, mulberry32(9)).map((v) => Math.abs(v)),
        [12, 28, 28, 1],
      ),
    );
    const build = () => ({ encoder: createEncoder(cfg), projectionHead: createProjectionHead({ inputDim: 8, hiddenDim: 8, outputDim: 4 }) });
    const init = build();
    await saveCheckpoint(join(dir, "init"), { stage: "init", nextStep: 0 }, { encoder: init.encoder, head: init.projectionHead });
    const common = { images, steps: 4, batchSize: 6, optimizer: "lars" as const, learningRate: 0.5, seed: 5 };

    const a = build();
    await loadCheckpoint(join(dir, "init"), { encoder: a.encoder, head: a.projectionHead });
    const straight = await pretrainContrastive({ ...a, ...common });

    const b = build();
    await loadCheckpoint(join(dir, "init"), { encoder: b.encoder, head: b.projectionHead });
    await expect(
      pretrainContrastive({
        ...b,
        ...common,
        checkpointEvery: 2,
        onCheckpoint: async (next, opt) => {
          await saveCheckpoint(join(dir, "mid"), { stage: "pretrain", nextStep: next, extra: { note: "x" } }, { encoder: b.encoder, head: b.projectionHead }, opt);
          throw new Error("simulated crash");
        },
      }),
    ).rejects.toThrow(/simulated crash/);

    const c = build();
    // LARS: its state is exactly the velocities (Adam re-derives beta^t on restore, equal only to float rounding).
    const opt = createOptimizer("lars", 0.5);
    const info = await loadCheckpoint<{ note: string }>(join(dir, "mid"), { encoder: c.encoder, head: c.projectionHead }, opt);
    expect(info).toMatchObject({ stage: "pretrain", nextStep: 2, extra: { note: "x" } });
    const resumed = await pretrainContrastive({ ...c, ...common, startStep: info.nextStep, optimizerInstance: opt });
    expect(resumed.losses).toEqual(straight.losses.slice(2));
    expect(allWeights(c.encoder, c.projectionHead)).toEqual(allWeights(a.encoder, a.projectionHead));
  });
});

describe("export", () => {
  let server: Server | undefined;
  afterAll(() => server?.close());

  it("teacher and student reload in a fresh process with stock tf.loadLayersModel and predict identically", async () => {
    await tf.setBackend("cpu");
    const encoder = createEncoder(cfg, "enc");
    const head = createClassifierHead({ inputDim: 8, hiddenDim: 8, numClasses: 3 }, "proj", "cls");
    // Non-trivial batch-norm statistics, so a wrongly exported moving mean/variance would show.
    for (const m of [encoder, head])
      for (const l of m.layers) if (l.getClassName() === "BatchNormalization") l.setWeights(l.getWeights().map((w) => tf.add(tf.abs(tf.randomNormal(w.shape, 0, 1, "float32", 4)), 0.5)));
    const plain = assembleTeacher(cfg, { inputDim: 8, hiddenDim: 8, numClasses: 3 }, { encoder, classifierHead: head });
    // The exported teacher carries a pixel expert (the product's default): logits w * network + (1 - w) * a linear
    // classifier on the pixels and their edge energies (14 x 14 cells of 8 directions at 28 px).
    const pixelKernel = tf.randomNormal([28 * 28 + 14 * 14 * 8, 3], 0, 0.1, "float32", 6) as tf.Tensor2D,
      pixelBias = tf.tensor1d([0.3, -0.2, 0.1]);
    const teacher = assembleTeacher(cfg, { inputDim: 8, hiddenDim: 8, numClasses: 3 }, { encoder, classifierHead: head }, {}, { kernel: pixelKernel, bias: pixelBias, weight: 0.25 });
    const student = createStudent({ inputSize: 28, channels: 1, numClasses: 3, widths: [4, 8] });
    const classes = ["a", "b", "c"];
    await exportModel(join(dir, "export", "teacher"), teacher, makeMetadata("teacher", classes, 28, 1, { backend: "cpu" }));
    await exportModel(join(dir, "export", "student"), student, makeMetadata("student", classes, 28, 1));

    const n = 3;
    const data = Array.from(randomArray(n * 28 * 28, mulberry32(2)), (v) => Math.abs(v));
    const x = tf.tensor4d(data, [n, 28, 28, 1]);
    // The assembled flat teacher computes what encoder -> head computes; with the pixel expert, the weighted sum.
    const composed = head.predict(encoder.predict(x) as tf.Tensor) as tf.Tensor;
    expect(Array.from((plain.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from(composed.dataSync()));
    const experts = tf.add(tf.mul(composed, 0.25), tf.mul(tf.add(tf.matMul(pixelExpertRows(x), pixelKernel), pixelBias), 0.75));
    const got = (teacher.predict(x) as tf.Tensor).dataSync(),
      want = experts.dataSync();
    expect(Math.max(...Array.from(got, (v, i) => Math.abs(v - want[i]!)))).toBeLessThan(1e-5);
    expect(teacher.getLayer("pixel_logits")).toBeDefined();

    const root = join(dir, "export");
    server = createServer(async (req, res) => {
      try {
        const p = normalize(join(root, decodeURIComponent(new URL(req.url!, "http://x").pathname)));
        if (!p.startsWith(root)) throw new Error("outside");
        res.end(await readFile(p));
      } catch {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    const child = fileURLToPath(new URL("./reloadChild.mjs", import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [child, `http://127.0.0.1:${port}`, JSON.stringify({ n, data })]);
    const reloaded = JSON.parse(stdout) as { teacher: number[]; student: number[] };
    expect(reloaded.teacher).toEqual(Array.from((teacher.predict(x) as tf.Tensor).dataSync()));
    expect(reloaded.student).toEqual(Array.from((student.predict(x) as tf.Tensor).dataSync()));

    const local = await loadExportedModel(join(dir, "export", "teacher"));
    expect(local.metadata).toMatchObject({ kind: "teacher", classes, inputSize: 28, channels: 1, output: "logits", preprocessing: preprocessingFor(28, 1) });
    // The preprocessing ships as code beside the model (its exactness is tested in preprocess.test.ts).
    expect(await readFile(join(dir, "export", "student", "preprocess.js"), "utf8")).toContain("export function preprocess(image)");
    expect(Array.from((local.model.predict(x) as tf.Tensor).dataSync())).toEqual(reloaded.teacher);
  });
});
