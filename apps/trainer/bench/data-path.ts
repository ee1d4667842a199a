// Pretraining throughput against the working copies' size and where they are held (memory or the spill file).
//   npx tsx apps/trainer/bench/data-path.ts [--images=10000,100000] [--input=32] [--memory-mb=256] [--steps=40]
import os from "node:os";
import path from "node:path";
import { createEncoder, createProjectionHead, defaultAugmentConfig, pretrainContrastive, selectBackend, tf } from "@fewlabel/ml";
import { ImageCache, workingSide } from "../src/images";
import { MemoryBudget, WorkingCopies } from "../src/working-copies";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const counts = (args.get("images") ?? "10000,100000").split(",").map(Number);
const input = Number(args.get("input") ?? 32);
const memoryMb = Number(args.get("memory-mb") ?? 256);
const steps = Number(args.get("steps") ?? 40);
const workers = Number(args.get("workers") ?? os.availableParallelism());

const ballast: object[] = [];
async function main() {
  await selectBackend({ order: ["wasm"] });
  // Objects like the project's state (one per image), held by the trainer's heap as they are in the product.
  const ballastN = Number(args.get("ballast") ?? 0);
  for (let i = 0; i < ballastN; i++) ballast.push({ id: `c${i.toString(36).padStart(24, "x")}`, width: 200, height: 160, contentHash: i.toString(16).padStart(64, "0"), labels: [{ classId: "k".repeat(25), by: "u".repeat(25) }], suggestion: null });
  const side = workingSide(input);
  for (const n of counts) {
    const copies = new WorkingCopies(new MemoryBudget(memoryMb * 2 ** 20), path.join(os.tmpdir(), "fewlabel-bench-data-path"));
    let seed = 1;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const w = Math.round(side * (1 + rand() * 0.35));
      const data = new Uint8Array(w * side * 3);
      for (let j = 0; j < data.length; j += 97) data[j] = (rand() * 256) | 0;
      copies.set(`img-${i}`, { data, width: w, height: side, channels: 3 });
      ids.push(`img-${i}`);
    }
    const cache = new ImageCache(null as never, { inputSize: input, concurrency: 1, decoded: copies });
    const images = cache.source(ids, 3, input);
    const encoder = createEncoder({ inputSize: input, channels: 3, widths: [16, 32, 64, 128], blocks: [1, 1, 1, 1], seed: 1 });
    const dim = encoder.outputs[0]!.shape[1]!;
    const projectionHead = createProjectionHead({ inputDim: dim, hiddenDim: dim, outputDim: 64, seed: 1 });
    const speeds: number[] = [];
    const t0 = performance.now();
    await pretrainContrastive({
      encoder, projectionHead, images, steps, batchSize: 64, optimizer: "adam", learningRate: 1e-3,
      augment: defaultAugmentConfig(input, 3, 0.5, { mirrorSafe: true }), seed: 1, workers,
      onProgress: (p) => { if (p.step > 5) speeds.push(p.imagesPerSecond); },
    });
    const sec = (performance.now() - t0) / 1000;
    speeds.sort((a, b) => a - b);
    console.log(JSON.stringify({ images: n, input, memoryMb, bytes: copies.bytes, medianImgPerSec: Math.round(speeds[speeds.length >> 1]!), wallSec: +sec.toFixed(1), heapMB: Math.round(process.memoryUsage().heapUsed / 2 ** 20) }));
    copies.clear();
    encoder.dispose(); projectionHead.dispose();
  }
}
void main();
