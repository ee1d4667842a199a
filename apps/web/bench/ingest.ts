// `npm run bench:ingest`: 10,000 28x28 PNGs (Fashion-MNIST rendered to PNG, or synthetic if the Debian package is
// missing) and 200 photos of about 2 megapixels, uploaded over real HTTP to a real server (its own process, as in
// production) on the embedded database,
// batched exactly as the web UI batches them (planChunks, two requests in flight). Beside it, in the same run, the
// baseline: the same images through decodeImage alone (no HTTP, no database, no store) at the same concurrency,
// which is the floor the full path can approach. Last line: one JSON object.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { planChunks, sendChunks, uploadsInFlight } from "@fewlabel/api/upload-plan";
import { fashionMnistAvailable, imageAt, loadFashionMnist } from "@fewlabel/datasets";
import { decodeImage, mapConcurrentToArray } from "@fewlabel/storage";
import sharp from "sharp";
import { TestUser } from "../test/harness";
import { startServer } from "./start-server";

const SMALL = Number(process.env.BENCH_SMALL ?? 10_000);
const PHOTOS = Number(process.env.BENCH_PHOTOS ?? 200);

async function smallPngs(n: number): Promise<{ path: string; data: Buffer }[]> {
  const fm = fashionMnistAvailable() ? loadFashionMnist("train") : null;
  return mapConcurrentToArray(
    Array.from({ length: n }, (_, i) => i),
    8,
    async (i) => {
      const pixels = fm ? Buffer.from(imageAt(fm, i)) : Buffer.from(Array.from({ length: 784 }, (_, k) => (k * 7 + i * 13) % 256));
      const data = await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } })
        .png()
        .toBuffer();
      return { path: `fashion/${fm ? fm.labels[i] : i % 10}/${i}.png`, data };
    },
  );
}

/** ~2 MP JPEGs with photo-like content (smooth gradients plus grain), each different. */
async function photos(n: number): Promise<{ path: string; data: Buffer }[]> {
  const w = 1632;
  const h = 1224;
  return mapConcurrentToArray(
    Array.from({ length: n }, (_, i) => i),
    2,
    async (i) => {
      const raw = Buffer.alloc(w * h * 3);
      let seed = i * 2654435761;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          seed = (seed * 1103515245 + 12345) >>> 0;
          const grain = (seed >>> 24) % 24;
          const o = (y * w + x) * 3;
          raw[o] = (x / 7 + i * 11 + grain) & 255;
          raw[o + 1] = (y / 5 + grain) & 255;
          raw[o + 2] = ((x + y) / 9 + i * 5 + grain) & 255;
        }
      }
      return {
        path: `photos/photo-${i}.jpg`,
        data: await sharp(raw, { raw: { width: w, height: h, channels: 3 } })
          .jpeg({ quality: 85 })
          .toBuffer(),
      };
    },
  );
}

async function uploadAll(user: TestUser, projectId: string, files: { path: string; data: Buffer }[]) {
  const { uploadId } = await user.trpc.uploads.start.mutate({ projectId });
  const batches = planChunks(files, (f) => f.data.length);
  const started = performance.now();
  const results = await sendChunks(batches, uploadsInFlight, (batch) => user.uploadFiles(uploadId, batch.items));
  const seconds = (performance.now() - started) / 1000;
  await user.trpc.uploads.finish.mutate({ projectId, uploadId });
  const accepted = results.reduce((s, r) => s + ((r.body as { accepted?: number }).accepted ?? 0), 0);
  return { seconds, accepted, requests: batches.length };
}

async function decodeOnly(files: { data: Buffer }[]) {
  const started = performance.now();
  await mapConcurrentToArray(files, 4, (f) => decodeImage(f.data));
  return (performance.now() - started) / 1000;
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fewlabel-bench-ingest-"));
  console.log(`preparing ${SMALL} small PNGs (${fashionMnistAvailable() ? "Fashion-MNIST" : "synthetic"}) and ${PHOTOS} photos...`);
  const small = await smallPngs(SMALL);
  const big = await photos(PHOTOS);
  const photoMb = big.reduce((s, f) => s + f.data.length, 0) / 2 ** 20;
  console.log(`photos: ${PHOTOS} x ${1632}x${1224} JPEG, ${photoMb.toFixed(0)} MB in all`);

  const server = await startServer([], { ...process.env, FEWLABEL_DATA_DIR: dir, DATABASE_URL: "" });
  const port = server.port;
  const user = await TestUser.signUp(`http://127.0.0.1:${port}`, "bench@example.com");
  const { id: projectId } = await user.trpc.projects.create.mutate({ name: "bench" });

  console.log(`server: ${server.describe}`);
  const smallRun = await uploadAll(user, projectId, small);
  console.log(`full path: ${smallRun.accepted} small images in ${smallRun.seconds.toFixed(1)} s over ${smallRun.requests} requests = ${(smallRun.accepted / smallRun.seconds).toFixed(0)} img/s`);
  const photoRun = await uploadAll(user, projectId, big);
  console.log(`full path: ${photoRun.accepted} photos in ${photoRun.seconds.toFixed(1)} s = ${(photoRun.accepted / photoRun.seconds).toFixed(1)} photos/s`);

  const baseSmall = await decodeOnly(small);
  const basePhotos = await decodeOnly(big);
  console.log(`baseline (decodeImage only, same files, concurrency 4): small ${(SMALL / baseSmall).toFixed(0)} img/s, photos ${(PHOTOS / basePhotos).toFixed(1)} photos/s`);
  console.log(
    `full path reaches ${((SMALL / smallRun.seconds / (SMALL / baseSmall)) * 100).toFixed(0)}% of decode-only speed for small images, ${((PHOTOS / photoRun.seconds / (PHOTOS / basePhotos)) * 100).toFixed(0)}% for photos`,
  );

  await server.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(
    JSON.stringify({
      images: smallRun.accepted,
      seconds: Number(smallRun.seconds.toFixed(2)),
      imagesPerSecond: Number((smallRun.accepted / smallRun.seconds).toFixed(1)),
      photos: photoRun.accepted,
      photoSeconds: Number(photoRun.seconds.toFixed(2)),
      baselineDecodeOnlyImagesPerSecond: Number((SMALL / baseSmall).toFixed(1)),
      baselineDecodeOnlyPhotosPerSecond: Number((PHOTOS / basePhotos).toFixed(2)),
      database: server.describe.replace(dir, "<tmp>"),
    }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
