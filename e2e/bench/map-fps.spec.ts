// `npm run bench:map` (issue 17, item 4): does the embedding map stay interactive at 50,000 points in Chromium? A
// project gets --points tiny images through the real upload route, a trainer (the real trainer api, driven from here)
// posts their embeddings and map places (clusters, as UMAP draws them), and the Map page is panned, zoomed and lassoed
// with real mouse input while the page counts animation frames and the canvas reports each redraw's cost. Prints the
// figures and one JSON line; asserts nothing about speed.
//   npm run bench:map -- [MAP_POINTS=50000 in the environment]
import { encodeVector } from "@fewlabel/api/embedding-vector";
import { rgbPng } from "@fewlabel/storage/testing";
import { expect, test } from "@playwright/test";
import { newUser, ownerWithProject, seedTrainer } from "../tests/flows";

const POINTS = Number(process.env.MAP_POINTS ?? 50_000);
/** Image i of the project: 250 patterns on 10 widths and 20 heights make 50,000 different files (uploads are content-addressed). */
const distinctPng = (i: number) => rgbPng((i % 250) + 1, 8 + (Math.floor(i / 250) % 10), 8 + (Math.floor(i / 2500) % 20));

test("embedding map at scale", async ({ browser, baseURL }) => {
  const owner = await newUser(browser);
  const projectUrl = await ownerWithProject(owner, { name: "Bench Owner", email: `bench-${Date.now().toString(36)}@example.com`, project: "Map at scale", classes: ["a", "b", "c", "d"], images: 1 });
  const projectId = projectUrl.split("/").pop()!;
  const trpc = async (path: string, input: unknown) => {
    const res = await owner.request.post(`/api/trpc/${path}`, { data: { json: input } });
    if (!res.ok()) throw new Error(`${path}: ${res.status()} ${await res.text()}`);
    return ((await res.json()) as { result: { data: { json: unknown } } }).result.data.json;
  };
  const t0 = Date.now();
  const { uploadId } = (await trpc("uploads.start", { projectId })) as { uploadId: string };
  for (let start = 1; start < POINTS; start += 1000) {
    const form = new FormData();
    for (let i = start; i < Math.min(POINTS, start + 1000); i++) form.append("file", new Blob([new Uint8Array(distinctPng(i))]), `p-${i}.png`);
    const res = await owner.request.post(`/api/uploads/${uploadId}/files`, { multipart: form });
    expect(res.ok()).toBe(true);
  }
  await trpc("uploads.finish", { projectId, uploadId });
  console.log(`${POINTS} images uploaded in ${((Date.now() - t0) / 1000).toFixed(0)} s`);

  const { api, leaseId } = await seedTrainer(owner, projectUrl, baseURL!);
  const state = await api.trpc.state.query({ projectId });
  expect(state.images.length).toBe(POINTS);
  const encoder = await api.publishModel(projectId, leaseId, { stage: "PRETRAIN", classIds: state.classes.map((c) => c.id), metrics: null, provenance: {}, imageCount: POINTS, labelledCount: 0 }, []);
  for (let s = 0; s < POINTS; s += 1000) {
    await api.trpc.postEmbeddings.mutate({ projectId, leaseId, modelVersionId: encoder.id, items: state.images.slice(s, s + 1000).map((img, j) => ({ imageId: img.id, vector: encodeVector([Math.cos(s + j), Math.sin(s + j), 1]) })) });
  }
  // Twelve clusters of different sizes and spreads, as a projection of real embeddings looks.
  let seed = 11;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const centres = Array.from({ length: 12 }, () => [0.15 + 0.7 * rand(), 0.15 + 0.7 * rand(), 0.02 + 0.05 * rand()] as const);
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  for (let s = 0; s < POINTS; s += 5000) {
    const points = state.images.slice(s, s + 5000).map((img) => {
      const [cx, cy, sd] = centres[Math.floor(rand() * rand() * 12)]!;
      return { imageId: img.id, x: clamp(cx + sd * gauss()), y: clamp(cy + sd * gauss()) };
    });
    await api.trpc.postMapPoints.mutate({ projectId, leaseId, modelVersionId: encoder.id, points });
  }

  const loadStart = Date.now();
  await owner.goto(`${projectUrl}/map`);
  const canvas = owner.getByTestId("map-canvas");
  await expect(canvas).toHaveAttribute("data-points", String(POINTS), { timeout: 120_000 });
  await expect(canvas).not.toHaveAttribute("data-frames", "0");
  const loadSeconds = (Date.now() - loadStart) / 1000;
  const box = (await canvas.boundingBox())!;
  const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];

  /** Runs `act` while the page counts animation frames and collects each redraw's cost. */
  const measure = async (name: string, act: () => Promise<void>) => {
    await owner.evaluate(() => {
      const w = window as unknown as { __bench: { frames: number; draws: number[]; stop: boolean; start: number } };
      const c = document.querySelector<HTMLCanvasElement>('[data-testid="map-canvas"]')!;
      w.__bench = { frames: 0, draws: [], stop: false, start: performance.now() };
      let lastFrames = c.dataset.frames;
      const tick = () => {
        if (w.__bench.stop) return;
        w.__bench.frames++;
        if (c.dataset.frames !== lastFrames) {
          lastFrames = c.dataset.frames;
          w.__bench.draws.push(Number(c.dataset.drawMs));
        }
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    await act();
    const r = await owner.evaluate(() => {
      const w = window as unknown as { __bench: { frames: number; draws: number[]; stop: boolean; start: number } };
      w.__bench.stop = true;
      const seconds = (performance.now() - w.__bench.start) / 1000;
      const draws = [...w.__bench.draws].sort((a, b) => a - b);
      return { seconds, fps: w.__bench.frames / seconds, redraws: draws.length, drawMsMedian: draws[Math.floor(draws.length / 2)] ?? null, drawMsP95: draws[Math.floor(draws.length * 0.95)] ?? null };
    });
    console.log(`${name}: ${r.fps.toFixed(1)} frames/s over ${r.seconds.toFixed(1)} s, ${r.redraws} redraws, redraw median ${r.drawMsMedian?.toFixed(1)} ms, p95 ${r.drawMsP95?.toFixed(1)} ms`);
    return r;
  };

  const pan = await measure("pan", async () => {
    await owner.mouse.move(cx, cy);
    await owner.mouse.down();
    for (let i = 0; i < 120; i++) await owner.mouse.move(cx + 200 * Math.sin(i / 10), cy + 120 * Math.cos(i / 13));
    await owner.mouse.up();
  });
  const zoom = await measure("zoom", async () => {
    for (let i = 0; i < 60; i++) await owner.mouse.wheel(0, i < 30 ? -60 : 60);
  });
  await owner.keyboard.press("f");
  const lassoStart = Date.now();
  await owner.keyboard.down("Shift");
  await owner.mouse.move(box.x + 20, box.y + 20);
  await owner.mouse.down();
  for (const [x, y] of [[box.width / 2, 20], [box.width / 2, box.height / 2], [20, box.height / 2], [20, 25]]) await owner.mouse.move(box.x + x!, box.y + y!, { steps: 10 });
  await owner.mouse.up();
  await owner.keyboard.up("Shift");
  await expect(owner.getByTestId("map-selected-count")).toBeVisible();
  const lassoSeconds = (Date.now() - lassoStart) / 1000;
  const selected = Number(await owner.getByTestId("map-selected-count").getAttribute("data-count"));
  const withSelection = await measure("pan with the selection drawn", async () => {
    await owner.mouse.move(cx, cy);
    await owner.mouse.down();
    for (let i = 0; i < 60; i++) await owner.mouse.move(cx + 150 * Math.sin(i / 8), cy);
    await owner.mouse.up();
  });
  console.log(`map loaded and drawn in ${loadSeconds.toFixed(1)} s; lasso of ${selected} points (drawn and selected) in ${lassoSeconds.toFixed(2)} s`);
  console.log(JSON.stringify({ points: POINTS, loadSeconds, pan, zoom, lasso: { selected, seconds: lassoSeconds }, withSelection }));
});
