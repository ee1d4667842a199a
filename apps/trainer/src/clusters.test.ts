import { mulberry32, selectBackend } from "@fewlabel/ml";
import { beforeAll, describe, expect, it } from "vitest";
import { assignToClusters, clusterCount, kMeans } from "./clusters";

describe("k-means of embeddings", () => {
  beforeAll(async () => {
    await selectBackend({ order: ["wasm", "cpu"] });
  });

  it("recovers well separated groups, and places later rows in their group's cluster", async () => {
    const r = mulberry32(4);
    const dim = 12;
    const centres = Array.from({ length: 5 }, () => Array.from({ length: dim }, () => r() * 2 - 1));
    const row = (g: number) => centres[g]!.map((v) => v + 0.15 * (r() * 2 - 1));
    const truth = Array.from({ length: 300 }, (_, i) => i % 5);
    const features = Float32Array.from(truth.flatMap(row));
    const { assignment, centres: found } = await kMeans(features, dim, 5, 7);
    // Same partition up to the clusters' names.
    const nameOf = new Map<number, number>();
    truth.forEach((g, i) => nameOf.set(g, nameOf.get(g) ?? assignment[i]!));
    expect(new Set(nameOf.values()).size).toBe(5);
    expect(truth.every((g, i) => assignment[i] === nameOf.get(g))).toBe(true);
    expect(found.length).toBe(5 * dim);
    const later = await assignToClusters({ centres: found, assignment }, Float32Array.from([...row(3), ...row(0)]), dim);
    expect(Array.from(later)).toEqual([nameOf.get(3), nameOf.get(0)]);
  });

  it("sizes the clusters to the project", () => {
    expect(clusterCount(3)).toBe(2);
    expect(clusterCount(3000)).toBe(39);
    expect(clusterCount(1_000_000)).toBe(100);
  });
});
