// Decode throughput for the two ingest workloads the project is sized for: many 28x28 PNGs (Fashion-MNIST-like) and
// ~2 MP camera JPEGs. Prints images/s for decodeImage at several concurrencies, and its ratio to a baseline run in
// the same process: the naive pipeline (metadata, then thumbnail and training copy each decoded from the original).
//
//   npx tsx packages/storage/bench/decode.ts [smallCount=2000] [photoCount=40]
import os from "node:os";
import sharp from "sharp";
import { decodeImage, DEFAULT_DECODE_LIMITS, mapConcurrentToArray } from "../src/index";
import { configureSharp } from "../src/sharp-setup";

const smallCount = Number(process.argv[2] ?? 2000);
const photoCount = Number(process.argv[3] ?? 40);

async function makeSmallPngs(count: number): Promise<Buffer[]> {
  // Distinct content per image (so nothing could be cached), grayscale like Fashion-MNIST.
  return Promise.all(
    Array.from({ length: count }, (_, i) => {
      const pixels = Buffer.alloc(28 * 28);
      for (let p = 0; p < pixels.length; p++) pixels[p] = (p * 7 + i * 13 + ((p * i) % 31)) & 0xff;
      return sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } })
        .toColourspace("b-w")
        .png()
        .toBuffer();
    }),
  );
}

async function makePhotos(count: number): Promise<Buffer[]> {
  const base = await sharp({
    create: { width: 1728, height: 1152, channels: 3, background: "#808080", noise: { type: "gaussian", mean: 128, sigma: 40 } },
  })
    .blur(1.5)
    .raw()
    .toBuffer({ resolveWithObject: true });
  const photos: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    photos.push(
      await sharp(base.data, { raw: base.info })
        .modulate({ hue: i * 9 })
        .jpeg({ quality: 88 })
        .toBuffer(),
    );
  }
  return photos;
}

/** The straightforward version, kept only as the yardstick. */
async function naiveDecode(bytes: Buffer): Promise<number> {
  const { trainingMaxSide, thumbnailMaxSide } = DEFAULT_DECODE_LIMITS;
  await sharp(bytes).metadata();
  const [thumb, train] = await Promise.all([
    sharp(bytes, { failOn: "error" }).rotate().resize(thumbnailMaxSide, thumbnailMaxSide, { fit: "inside" }).webp().toBuffer(),
    sharp(bytes, { failOn: "error" }).rotate().resize(trainingMaxSide, trainingMaxSide, { fit: "inside", withoutEnlargement: true }).flatten({ background: "#fff" }).png().toBuffer(),
  ]);
  return thumb.length + train.length;
}

/** images/s (wall clock) and CPU ms per image (user + system, all threads: robust to other load on the machine). */
async function rate(images: Buffer[], concurrency: number, fn: (b: Buffer) => Promise<unknown>): Promise<{ perSecond: number; cpuMs: number }> {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  await mapConcurrentToArray(images, concurrency, fn);
  const cpu = process.cpuUsage(cpuStart);
  return {
    perSecond: images.length / ((performance.now() - start) / 1000),
    cpuMs: (cpu.user + cpu.system) / 1000 / images.length,
  };
}

async function main() {
  configureSharp();
  console.log(
    `load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")} (other work on the machine skews wall times)`,
  );
  console.log(
    `node ${process.version}, sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips}), ${os.cpus().length} cpus, ` +
      `UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? "4 (default)"}, sharp.concurrency=${sharp.concurrency()}`,
  );
  const workloads = [
    { name: "28x28 PNG", images: await makeSmallPngs(smallCount) },
    { name: "1728x1152 JPEG", images: await makePhotos(photoCount) },
  ];
  for (const { name, images } of workloads) {
    const avgKb = images.reduce((s, b) => s + b.length, 0) / images.length / 1024;
    console.log(`\n${name}: ${images.length} images, avg ${avgKb.toFixed(1)} KB`);
    await rate(images.slice(0, 20), 2, decodeImage); // warm-up
    for (const concurrency of [1, 2, 4]) {
      const baseline = await rate(images, concurrency, naiveDecode);
      const ours = await rate(images, concurrency, (b) => decodeImage(b));
      console.log(
        `  concurrency ${concurrency}: decodeImage ${ours.perSecond.toFixed(0).padStart(5)} img/s ` +
          `(${ours.cpuMs.toFixed(2)} CPU ms/img)   naive ${baseline.perSecond.toFixed(0).padStart(5)} img/s ` +
          `(${baseline.cpuMs.toFixed(2)} CPU ms/img)   ratio ${(ours.perSecond / baseline.perSecond).toFixed(2)}x`,
      );
    }
  }
}

await main();
