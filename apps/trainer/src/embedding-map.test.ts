import { mulberry32, selectBackend } from "@fewlabel/ml";
import { beforeAll, describe, expect, it } from "vitest";
import { fitEmbeddingMap, placeOnMap } from "./embedding-map";

/** `perCluster` points around each of `clusters` random unit directions in `dim` dimensions (noise `spread`). */
function clustered(clusters: number, perCluster: number, dim: number, spread: number, seed: number) {
  const r = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const centres = Array.from({ length: clusters }, () => Array.from({ length: dim }, gauss));
  const features = new Float32Array(clusters * perCluster * dim);
  const labels: number[] = [];
  for (let i = 0; i < clusters * perCluster; i++) {
    const c = i % clusters;
    labels.push(c);
    for (let d = 0; d < dim; d++) features[i * dim + d] = centres[c]![d]! + spread * gauss();
  }
  return { features, labels };
}

/** Share of points whose 5 nearest points on the map are mostly of their own cluster. */
function neighbourAgreement(xy: Float32Array, labels: number[]): number {
  let agree = 0;
  for (let i = 0; i < labels.length; i++) {
    const near = labels
      .map((l, j) => ({ l, d: j === i ? Infinity : (xy[2 * i]! - xy[2 * j]!) ** 2 + (xy[2 * i + 1]! - xy[2 * j + 1]!) ** 2 }))
      .sort((a, b) => a.d - b.d)
      .slice(0, 5);
    if (near.filter((x) => x.l === labels[i]).length >= 3) agree++;
  }
  return agree / labels.length;
}

describe("fitEmbeddingMap", () => {
  beforeAll(async () => {
    await selectBackend({ order: ["wasm", "cpu"] });
  });

  it("keeps clusters of embeddings together on the map, fitted or placed, inside 0-1", async () => {
    const { features, labels } = clustered(4, 120, 24, 0.6, 3);
    const epochs: number[] = [];
    const { map, xy } = await fitEmbeddingMap(features, 24, { fitMax: 200, seed: 5, nEpochs: 150, onEpoch: (e) => epochs.push(e) });
    expect(epochs.length).toBeGreaterThan(100);
    expect(map.unit.length / 24).toBe(200);
    expect(xy.length).toBe(480 * 2);
    for (const v of xy) expect(v >= 0 && v <= 1).toBe(true);
    // 200 fitted by UMAP, 280 placed by their fitted neighbours: both must land among their own cluster.
    expect(neighbourAgreement(xy, labels)).toBeGreaterThan(0.95);
    // A random layout would not: the check can fail.
    const r = mulberry32(9);
    expect(
      neighbourAgreement(
        Float32Array.from(xy, () => r()),
        labels,
      ),
    ).toBeLessThan(0.6);
  }, 60_000);

  it("places a later image next to the fitted images it resembles", async () => {
    const { features } = clustered(3, 60, 16, 0.4, 4);
    const { map, xy } = await fitEmbeddingMap(features, 16, { seed: 2, nEpochs: 120 });
    // A copy of image 7, a little changed, lands by image 7 (nearer to it than the map's typical spacing).
    const later = Float32Array.from(features.subarray(7 * 16, 8 * 16), (v, d) => v + (d === 0 ? 0.05 : 0));
    const [x, y] = await placeOnMap(map, later);
    const dist = Math.hypot(x! - xy[14]!, y! - xy[15]!);
    expect(dist).toBeLessThan(0.05);
  }, 60_000);

  it("lays out one or two images without UMAP", async () => {
    expect(Array.from((await fitEmbeddingMap(new Float32Array([1, 0]), 2)).xy)).toEqual([0.5, 0.5]);
    expect(Array.from((await fitEmbeddingMap(new Float32Array([1, 0, 0, 1]), 2)).xy)).toEqual([0.25, 0.5, 0.75, 0.5]);
  });
});
