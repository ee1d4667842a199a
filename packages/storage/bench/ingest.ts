// Storage side of the ingest benchmark: a zip of N 28x28 grayscale PNGs in ImageNet layout ("class_k/i.png") plus
// M ~2 MP JPEGs, read with readZipArchive, decoded and stored with mapConcurrent. Database inserts are the caller's
// part and are not timed here. Prints images/s per concurrency, and the ratio to a baseline run in the same
// process: just reading the zip (the floor that decoding and storing add to).
//
//   npx tsx packages/storage/bench/ingest.ts [pngCount=10000] [photoCount=200]
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { buffer } from "node:stream/consumers";
import sharp from "sharp";
import { decodeImage, ImageRejectedError, labelFromFolderPath, LocalImageStore, mapConcurrent, readZipArchive, storeDecodedImage, writeZip, type ZipSourceEntry } from "../src/index";

const pngCount = Number(process.argv[2] ?? 10_000);
const photoCount = Number(process.argv[3] ?? 200);

async function* fixtureEntries(): AsyncGenerator<ZipSourceEntry> {
  for (let i = 0; i < pngCount; i++) {
    const pixels = Buffer.alloc(28 * 28);
    for (let p = 0; p < pixels.length; p++) pixels[p] = (p * 7 + i * 13 + ((p * i) % 31)) & 0xff;
    const png = await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } })
      .toColourspace("b-w")
      .png()
      .toBuffer();
    yield { path: `dataset/class_${i % 10}/${i}.png`, data: png };
  }
  const base = await sharp({
    create: { width: 1728, height: 1152, channels: 3, background: "#808080", noise: { type: "gaussian", mean: 128, sigma: 40 } },
  })
    .blur(1.5)
    .raw()
    .toBuffer({ resolveWithObject: true });
  for (let i = 0; i < photoCount; i++) {
    const jpeg = await sharp(base.data, { raw: base.info })
      .modulate({ hue: i * 2 })
      .jpeg({ quality: 88 })
      .toBuffer();
    yield { path: `dataset/photos/${i}.jpg`, data: jpeg };
  }
}

let lastCpuSeconds = 0;
async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const result = await fn();
  const cpu = process.cpuUsage(cpuStart);
  lastCpuSeconds = (cpu.user + cpu.system) / 1e6;
  return [result, (performance.now() - start) / 1000];
}

async function main() {
  const dir = await mkdtemp(path.join(os.tmpdir(), "fewlabel-ingest-bench-"));
  try {
    console.log(
      `load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")} (other work on the machine skews wall times)`,
    );
    console.log(`node ${process.version}, ${os.cpus().length} cpus, sharp ${sharp.versions.sharp}`);
    const [zipBytes, makeSeconds] = await timed(() => buffer(writeZip(fixtureEntries())));
    const zipPath = path.join(dir, "upload.zip");
    await writeFile(zipPath, zipBytes);
    const total = pngCount + photoCount;
    console.log(`fixture: ${total} images, ${(zipBytes.length / 1e6).toFixed(1)} MB zip (built in ${makeSeconds.toFixed(1)} s)`);

    const [, readSeconds] = await timed(async () => {
      for await (const entry of readZipArchive(zipPath)) void entry;
    });
    console.log(`baseline, read zip only: ${(total / readSeconds).toFixed(0)} img/s (${readSeconds.toFixed(2)} s)`);

    for (const concurrency of [2, 4]) {
      const store = new LocalImageStore(path.join(dir, `store-${concurrency}`));
      const [counts, seconds] = await timed(async () => {
        let stored = 0;
        let rejected = 0;
        const labels = new Set<string>();
        const results = mapConcurrent(readZipArchive(zipPath), concurrency, async (entry) => {
          if (entry.kind === "rejected") return null;
          try {
            const image = await storeDecodedImage(store, await decodeImage(entry.bytes));
            return { image, label: labelFromFolderPath(entry.path) };
          } catch (error) {
            if (error instanceof ImageRejectedError) return null;
            throw error;
          }
        });
        for await (const result of results) {
          if (result === null) rejected++;
          else {
            stored++;
            if (result.label) labels.add(result.label);
          }
        }
        return { stored, rejected, labels: labels.size };
      });
      console.log(
        `concurrency ${concurrency}: ${counts.stored} stored, ${counts.rejected} rejected, ${counts.labels} labels in ` +
          `${seconds.toFixed(2)} s = ${(total / seconds).toFixed(0)} img/s, CPU ${lastCpuSeconds.toFixed(1)} s, ` +
          `${(seconds / readSeconds).toFixed(1)}x the read-only baseline`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
