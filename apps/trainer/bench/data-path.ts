// Pretraining speed against where the working copies are held (memory, or read back from the spill file as the
// project outgrows the trainer's memory budget) and against where batches are made: on the main thread between steps
// (the baseline, measured in the same run) or ahead of time on a worker thread (the trainer's default).
//   npx tsx apps/trainer/bench/data-path.ts [--images=10000,100000] [--input=32] [--memory-mb=256] [--steps=40] [--workers=N]
// The images are synthetic 8-bit colour working copies of the trainer's working side for the input (1.5x), on random
// aspect ratios up to 1.35: what is measured is the data path and the step, not what is learnt. Last line: JSON.
import os from "node:os";
import path from "node:path";
import { createEncoder, createProjectionHead, defaultAugmentConfig, pretrainContrastive, selectBackend } from "@fewlabel/ml";
import { ImageCache, workingSide } from "../src/images";
import { MemoryBudget, WorkingCopies } from "../src/working-copies";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const counts = (args.get("images") ?? "10000,100000").split(",").map(Number);
const input = Number(args.get("input") ?? 32);
const memoryMb = Number(args.get("memory-mb") ?? 256);
const steps = Number(args.get("steps") ?? 40);
const workers = Number(args.get("workers") ?? os.availableParallelism());

async function main() {
  const backend = await selectBackend({ order: ["wasm"] });
  const side = workingSide(input);
  const results = [];
  for (const n of counts) {
    const copies = new WorkingCopies(new MemoryBudget(memoryMb * 2 ** 20), path.join(os.tmpdir(), "fewlabel-bench-data-path"));
    let seed = 1;
    const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const w = Math.round(side * (1 + rand() * 0.35));
      const data = new Uint8Array(w * side * 3);
      for (let j = 0; j < data.length; j += 97) data[j] = (rand() * 256) | 0;
      copies.set(`img-${i}`, { data, width: w, height: side, channels: 3 });
      ids.push(`img-${i}`);
    }
    const images = new ImageCache(null as never, { inputSize: input, concurrency: 1, decoded: copies }).source(ids, 3, input);
    for (const prefetch of [false, true]) {
      const encoder = createEncoder({ inputSize: input, channels: 3, widths: [16, 32, 64, 128], blocks: [1, 1, 1, 1], seed: 1 });
      const dim = encoder.outputs[0]!.shape[1]!;
      const projectionHead = createProjectionHead({ inputDim: dim, hiddenDim: dim, outputDim: 64, seed: 1 });
      const speeds: number[] = [];
      const t0 = performance.now();
      await pretrainContrastive({
        encoder,
        projectionHead,
        images,
        steps,
        batchSize: 64,
        optimizer: "adam",
        augment: defaultAugmentConfig(input, 3, 0.5, { mirrorSafe: true }),
        seed: 1,
        workers,
        prefetch,
        onProgress: (p) => void (p.step > 5 && speeds.push(p.imagesPerSecond)),
      });
      speeds.sort((a, b) => a - b);
      const r = {
        images: n,
        input,
        prefetch,
        workers,
        inMemoryMB: Math.round(copies.bytes.memory / 2 ** 20),
        spilledMB: Math.round(copies.bytes.disk / 2 ** 20),
        imagesPerSecond: Math.round(speeds[speeds.length >> 1]!),
        wallSeconds: +((performance.now() - t0) / 1000).toFixed(1),
      };
      console.log(
        `${n} images at ${input} px (${r.inMemoryMB} MB in memory, ${r.spilledMB} MB spilled), batches ${prefetch ? "made ahead on a worker" : "made between steps"}: ${r.imagesPerSecond} img/s (median), ${r.wallSeconds} s for ${steps} steps`,
      );
      results.push(r);
      encoder.dispose();
      projectionHead.dispose();
    }
    copies.clear();
  }
  console.log(JSON.stringify({ backend: backend.name, results }));
}
void main();
