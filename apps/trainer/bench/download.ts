// How long a trainer takes to fetch a project's training copies: one request an image (the baseline, what a server
// without the batch route gets) against 64 images a request (POST /api/trainer/projects/:id/training-images), from
// the same server in the same run. A real server on an embedded database (the test harness), real HTTP, the images
// decoded into working copies as the trainer does; no disk cache.
//   npx tsx apps/trainer/bench/download.ts [--images=3000] [--side=200]
import sharp from "sharp";
import { startTestServer, TestUser } from "@fewlabel/web/testing";
import { createTrainerApi } from "../src/api-client";
import { ImageCache } from "../src/images";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const count = Number(args.get("images") ?? 3000);
const side = Number(args.get("side") ?? 200);

async function main() {
  const t = await startTestServer("pglite");
  try {
    const owner = await TestUser.signUp(t.baseUrl, "bench@example.com");
    const { id: projectId } = await owner.trpc.projects.create.mutate({ name: "download", classes: [{ name: "a" }] });
    const { uploadId } = await owner.trpc.uploads.start.mutate({ projectId });
    for (let from = 0; from < count; from += 500) {
      const files = await Promise.all(
        Array.from({ length: Math.min(500, count - from) }, async (_, k) => {
          const i = from + k;
          const data = await sharp({ create: { width: side + (i % 50), height: side, channels: 3, background: { r: i % 256, g: (i * 7) % 256, b: (i * 13) % 256 } } })
            .png()
            .toBuffer();
          return { path: `img-${i}.png`, data };
        }),
      );
      const r = await owner.uploadFiles(uploadId, files);
      if (r.status !== 200) throw new Error(`upload failed: ${JSON.stringify(r.body).slice(0, 200)}`);
    }
    await owner.trpc.uploads.finish.mutate({ projectId, uploadId });
    const { token } = await owner.trpc.training.createToken.mutate({ projectId, name: "bench" });
    const api = createTrainerApi(t.baseUrl, token);
    const ids = (await api.trpc.state.query({ projectId })).images.map((i) => i.id);
    const results: Record<string, number> = {};
    for (const [name, batched] of [
      ["one request an image", false],
      ["64 images a request", true],
      ["one request an image (again)", false],
      ["64 images a request (again)", true],
    ] as const) {
      const cache = new ImageCache(api, { inputSize: 32, concurrency: 8, ...(batched ? { projectId } : {}) });
      const t0 = performance.now();
      const skipped = await cache.load(ids);
      const s = (performance.now() - t0) / 1000;
      if (skipped.length) throw new Error(`${skipped.length} images skipped: ${skipped[0]!.reason}`);
      results[name] = Math.round(ids.length / s);
      console.log(`${name}: ${ids.length} images in ${s.toFixed(1)} s (${results[name]} images/s, ${cache.lastLoad.requests} requests)`);
      cache.clear();
    }
    console.log(JSON.stringify({ images: ids.length, side, imagesPerSecond: results }));
  } finally {
    await t.close();
  }
}
void main();
