// npm run bench:scale: does the trainer's memory stay put as a project grows? The real product (as `npm start` runs
// it, on a fresh embedded database) gets a project of 10,000 and then one of 100,000 generated colour images; for each
// and each input size, the trainer pretrains for a while and the bench reads, from /proc, the peak resident memory
// of the trainer process and of the web server (VmHWM: over their whole life, the images' first download and decode
// included) and, from the Training page's status, the pretraining's images per second. Target (issue 14): at 100,000
// images, peak trainer memory within 1.5x of the 10,000-image run and throughput within 10%, at 32 and at 96 px.
//
// The images: 500 distinct JPEG "photos" (a gradient and a few coloured boxes; 160-200 px on the shorter side, random
// aspect ratios, so the 96 px working copies are 144 px), each upload a copy with a unique JPEG comment, so every file
// is its own image (content address) with the pixels of one of the 500: what is measured is the data path, not what
// is learnt. Uploaded as zips of at most 25,000 files (an archive holds at most 50,000).
//
// Every trainer setting is the product's default except FEWLABEL_INPUT_SIZE (the case's size) and the trainer's
// cache folders (inside the bench's work folder). Each case runs the trainer anew on the project's data folder; the
// training copies it downloaded before come from its disk cache.
//   npm run bench:scale -- [--sizes 10000,100000] [--inputs 32,96] [--seconds 100] [--out DIR] [--keep] [--reuse]
// --reuse (with --out): projects uploaded by an earlier run with --keep into the same folder are used again instead of
// uploaded (the trainer's disk cache of them is emptied first, so every case still downloads its images).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { mapConcurrentToArray, writeZip } from "@fewlabel/storage";
import sharp from "sharp";
import { TestUser } from "../test/harness";
import { ensureBuild, startProduct } from "./loop/product";

const { values: args } = parseArgs({
  options: {
    sizes: { type: "string", default: "10000,100000" },
    inputs: { type: "string", default: "32,96" },
    seconds: { type: "string", default: "100" },
    out: { type: "string" },
    keep: { type: "boolean", default: false },
    reuse: { type: "boolean", default: false },
  },
});
const sizes = args.sizes!.split(",").map(Number);
const inputs = args.inputs!.split(",").map(Number);
const seconds = Number(args.seconds);
if (sizes.some((n) => !(n >= 100)) || inputs.some((n) => !(n >= 28 && n <= 224)) || !(seconds >= 10)) {
  console.error("usage: npm run bench:scale -- [--sizes 10000,100000] [--inputs 32,96] [--seconds 100] [--out DIR] [--keep]");
  process.exit(2);
}

const started = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ZIP_FILES = 25_000;
const BASES = 500;

/** 500 distinct base JPEGs, made once. */
async function baseImages(): Promise<Buffer[]> {
  let seed = 12345;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return mapConcurrentToArray(
    Array.from({ length: BASES }, (_, i) => i),
    4,
    async () => {
      const short = 160 + Math.floor(rand() * 41);
      const aspect = 0.75 + rand() * 0.6;
      const [width, height] = aspect >= 1 ? [Math.round(short * aspect), short] : [short, Math.round(short / aspect)];
      const colour = () => ({ r: Math.floor(rand() * 256), g: Math.floor(rand() * 256), b: Math.floor(rand() * 256) });
      const boxes = await Promise.all(
        Array.from({ length: 3 }, async () => {
          const w = 20 + Math.floor(rand() * (width / 2)),
            h = 20 + Math.floor(rand() * (height / 2));
          return {
            input: await sharp({ create: { width: w, height: h, channels: 3, background: colour() } })
              .png()
              .toBuffer(),
            left: Math.floor(rand() * (width - w)),
            top: Math.floor(rand() * (height - h)),
          };
        }),
      );
      return sharp({ create: { width, height, channels: 3, background: colour() } })
        .composite(boxes)
        .jpeg({ quality: 80 })
        .toBuffer();
    },
  );
}

/** A copy of a JPEG whose bytes are unique: a comment segment (FF FE) right after the start-of-image marker. */
function uniqueJpeg(base: Buffer, id: number): Buffer {
  const text = Buffer.from(`fewlabel bench:scale image ${id}`);
  const segment = Buffer.alloc(4 + text.length);
  segment.writeUInt16BE(0xfffe, 0);
  segment.writeUInt16BE(2 + text.length, 2);
  text.copy(segment, 4);
  return Buffer.concat([base.subarray(0, 2), segment, base.subarray(2)]);
}

async function zipOf(bases: Buffer[], from: number, to: number): Promise<Buffer> {
  const entries = function* () {
    for (let i = from; i < to; i++) yield { path: `img-${String(i).padStart(6, "0")}.jpg`, data: uniqueJpeg(bases[i % bases.length]!, i) };
  };
  const chunks: Buffer[] = [];
  for await (const chunk of writeZip(entries())) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Peak and current resident memory of a process, in MB (VmHWM, VmRSS), or null when it is gone. */
function memoryOf(pid: number): { peakMB: number; rssMB: number } | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
    return { peakMB: Math.round(kb("VmHWM") / 1024), rssMB: Math.round(kb("VmRSS") / 1024) };
  } catch {
    return null;
  }
}

/** CPU seconds a process has used (user + system, all its threads), or null when it is gone. */
function cpuSecondsOf(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 a second on Linux)
  } catch {
    return null;
  }
}

/** The local trainer: the child of the web server running apps/trainer/src/main.ts. */
function trainerPid(serverPid: number): number | null {
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== serverPid) continue;
      if (fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").includes("apps/trainer/src/main.ts")) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return null;
}

interface CaseResult {
  images: number;
  inputSize: number;
  peakRssMB: number | null;
  webPeakRssMB: number | null;
  trainImagesPerSecond: number | null;
  /** From the case's start to the first pretraining step (the images' download or disk read, and decode). */
  secondsToFirstStep: number | null;
  /** The trainer's working copies: in memory and spilled to its disk (from its log). */
  workingCopies: string | null;
  /** CPU the web server used while the pretraining's speed was read (percent of one core): it shares the cores. */
  webCpuPercent: number | null;
}

const median = (v: number[]) => {
  if (v.length === 0) return null;
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main() {
  const work = args.out ? path.resolve(args.out) : fs.mkdtempSync(path.join(os.tmpdir(), "fewlabel-bench-scale-"));
  fs.mkdirSync(work, { recursive: true });
  log(`bench:scale: ${sizes.join(", ")} images at ${inputs.join(", ")} px, ${seconds} s of pretraining a case; work in ${work}`);
  await ensureBuild(log);
  const bases = await baseImages();
  log(`${bases.length} base JPEGs made (${(bases.reduce((s, b) => s + b.length, 0) / bases.length / 1024).toFixed(1)} KB each on average)`);
  const results: CaseResult[] = [];

  for (const n of sizes) {
    const dataDir = path.join(work, `data-${n}`);
    fs.mkdirSync(dataDir, { recursive: true });
    let uploaded = args.reuse === true && fs.existsSync(path.join(dataDir, "pglite"));
    if (uploaded) log(`${n} images: reusing the project uploaded into ${dataDir} before`);
    fs.rmSync(path.join(work, `trainer-cache-${n}`), { recursive: true, force: true });
    for (const inputSize of inputs) {
      const tag = `${n} images, ${inputSize} px`;
      const logFile = path.join(work, `product-${n}-${inputSize}.log`);
      const product = await startProduct({
        dataDir,
        logFile,
        echo: (line) => (/error|fail|could not/i.test(line) ? log(`${tag} product: ${line.trim()}`) : undefined),
        trainerOverrides: {
          FEWLABEL_INPUT_SIZE: String(inputSize),
          FEWLABEL_TRAINER_CACHE_DIR: path.join(work, `trainer-cache-${n}`),
          FEWLABEL_TRAINER_WORK_DIR: path.join(work, `trainer-working-${n}`),
        },
      });
      const caseStart = Date.now();
      try {
        const user = new TestUser(product.url);
        if (uploaded) await user.trpc.auth.signIn.mutate({ email: "bench@example.com", password: "correct horse battery" });
        else await user.trpc.auth.signUp.mutate({ email: "bench@example.com", name: "bench", password: "correct horse battery" });
        let projectId: string;
        if (!uploaded) {
          ({ id: projectId } = await user.trpc.projects.create.mutate({ name: `bench:scale ${n}`, classes: [{ name: "a" }, { name: "b" }] }));
          // Every zip is made before the upload starts: made between two requests, a zip keeps this process busy for
          // seconds, past the server's 5 s keep-alive timeout, and the next request went out on the connection the
          // server had closed meanwhile (EPIPE in the middle of the upload).
          const zips: { from: number; to: number; zip: Buffer }[] = [];
          for (let from = 0; from < n; from += ZIP_FILES) zips.push({ from, to: Math.min(n, from + ZIP_FILES), zip: await zipOf(bases, from, Math.min(n, from + ZIP_FILES)) });
          // Making them keeps this process busy for seconds: let it see the server's close of the idle connection
          // before the next request would reuse it.
          await sleep(500);
          const { uploadId } = await user.trpc.uploads.start.mutate({ projectId });
          const t0 = Date.now();
          for (const { from, to, zip } of zips) {
            const sent = await user.uploadFiles(uploadId, [{ path: `part-${from}.zip`, data: zip }]);
            const body = sent.body as { type?: string; accepted?: number };
            if (sent.status !== 200 || body.type !== "done" || body.accepted !== to - from) throw new Error(`upload of images ${from}-${to} failed: ${JSON.stringify(sent.body).slice(0, 300)}`);
            log(`${tag}: uploaded ${to} of ${n} (${(zip.length / 2 ** 20).toFixed(0)} MB zip), ${((Date.now() - t0) / 1000).toFixed(0)} s`);
          }
          await user.trpc.uploads.finish.mutate({ projectId, uploadId });
          log(`${tag}: ${n} images in, ${((Date.now() - t0) / 1000).toFixed(0)} s of upload and ingest (${((n / (Date.now() - t0)) * 1000).toFixed(0)} images/s)`);
          uploaded = true;
        } else {
          projectId = (await user.trpc.projects.list.query()).find((p: { name: string }) => p.name === `bench:scale ${n}`)!.id;
        }

        // Pretraining: wait for its first step, then sample its speed for `seconds`.
        let firstStep: number | null = null;
        let webCpu: { at: number; seconds: number | null } | null = null;
        const speeds: number[] = [];
        const deadline = Date.now() + 40 * 60_000;
        while (Date.now() < deadline) {
          const status = await user.trpc.training.status.query({ projectId });
          const c = status.current;
          if (c?.stage === "pretrain" && c.status === "RUNNING" && c.step > 0) {
            firstStep ??= Date.now();
            // The first 20 s settle (workers start, first batches): not counted.
            if (Date.now() - firstStep > 20_000) {
              webCpu ??= { at: Date.now(), seconds: cpuSecondsOf(product.pid) };
              if (c.imagesPerSecond) speeds.push(c.imagesPerSecond);
            }
            if (Date.now() - firstStep > seconds * 1000) break;
          } else if (status.trainerError) {
            throw new Error(`trainer error: ${status.trainerError.message}`);
          }
          // Every 5 s: the bench's own status queries cost the web server (and so the trainer beside it) little.
          await sleep(5000);
        }
        if (firstStep === null) throw new Error("the pretraining did not start within 40 minutes");
        const trainer = trainerPid(product.pid);
        const t = trainer === null ? null : memoryOf(trainer);
        const w = memoryOf(product.pid);
        const cpuNow = cpuSecondsOf(product.pid);
        const webCpuPercent = webCpu?.seconds != null && cpuNow !== null ? Math.round(((cpuNow - webCpu.seconds) / ((Date.now() - webCpu.at) / 1000)) * 100) : null;
        const held =
          fs
            .readFileSync(logFile, "utf8")
            .match(/images: .*decoded, ([^\n]+)/g)
            ?.pop()
            ?.replace(/^.*decoded, /, "") ?? null;
        const result: CaseResult = {
          images: n,
          inputSize,
          peakRssMB: t?.peakMB ?? null,
          webPeakRssMB: w?.peakMB ?? null,
          trainImagesPerSecond: speeds.length ? Math.round(median(speeds)!) : null,
          secondsToFirstStep: Math.round((firstStep - caseStart) / 1000),
          workingCopies: held,
          webCpuPercent,
        };
        results.push(result);
        log(
          `${tag}: trainer peak ${result.peakRssMB} MB (now ${t?.rssMB} MB), web peak ${result.webPeakRssMB} MB, pretraining ${result.trainImagesPerSecond} img/s (median of ${speeds.length} readings), first step after ${result.secondsToFirstStep} s; working copies ${held ?? "?"}; web server CPU ${webCpuPercent ?? "?"}% of a core meanwhile`,
        );
        console.log(JSON.stringify(result));
      } finally {
        await product.stop();
      }
    }
    if (!args.keep && !args.reuse) fs.rmSync(dataDir, { recursive: true, force: true });
  }

  // The target: each input size at the largest count against the same size at the smallest.
  const small = Math.min(...sizes),
    large = Math.max(...sizes);
  const verdicts = inputs.map((inputSize) => {
    const a = results.find((r) => r.images === small && r.inputSize === inputSize);
    const b = results.find((r) => r.images === large && r.inputSize === inputSize);
    const memory = a?.peakRssMB && b?.peakRssMB ? b.peakRssMB / a.peakRssMB : null;
    const speed = a?.trainImagesPerSecond && b?.trainImagesPerSecond ? b.trainImagesPerSecond / a.trainImagesPerSecond : null;
    return { inputSize, peakRssRatio: memory && +memory.toFixed(2), throughputRatio: speed && +speed.toFixed(2), meetsTarget: memory !== null && speed !== null && memory <= 1.5 && speed >= 0.9 };
  });
  for (const v of verdicts)
    log(
      `${v.inputSize} px: ${large} images against ${small}: peak trainer memory x${v.peakRssRatio} (target at most 1.5), throughput x${v.throughputRatio} (target at least 0.9): ${v.meetsTarget ? "met" : "NOT met"}`,
    );
  if (!args.out && !args.keep) fs.rmSync(work, { recursive: true, force: true });
  console.log(JSON.stringify({ cases: results, verdicts }));
}

main().catch((err) => {
  const cause = err instanceof Error && err.cause ? ` (cause: ${err.cause instanceof Error ? err.cause.stack : String(err.cause)})` : "";
  console.error(`bench:scale: failed: ${err instanceof Error ? err.stack : String(err)}${cause}`);
  process.exit(1);
});
