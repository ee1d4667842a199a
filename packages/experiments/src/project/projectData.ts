// A project's images as experiment data: training copies decoded to one square size and channel count (28 px
// grayscale when every image is small and gray, like Fashion-MNIST; otherwise 32 px, RGB if any image has colour),
// then a stratified seeded hold-out of the labelled images as the test set. Unlabelled images stay in training:
// the SimCLR stages learn from them.
import sharp from "sharp";
import type { ExperimentConfig } from "../config";
import { pixelsToTensor, type ExperimentData } from "../protocol";
import { stratifiedHoldOut } from "../split";

export interface DecodedProjectImages {
  size: number;
  channels: 1 | 3;
  /** count x size x size x channels bytes. */
  pixels: Uint8Array;
  /** Labels of the images that decoded, in order; `skipped` did not decode and are left out. */
  labels: Int32Array;
  skipped: number;
}

export async function decodeProjectImages(pngs: Buffer[], labels: ArrayLike<number>): Promise<DecodedProjectImages> {
  const metas = await Promise.all(
    pngs.map((p) =>
      sharp(p)
        .metadata()
        .catch(() => null),
    ),
  );
  const ok = metas.map((m) => !!m && !!m.width && !!m.height);
  const kept = metas.filter((_m, i) => ok[i]) as { width: number; height: number; channels?: number }[];
  const channels: 1 | 3 = kept.every((m) => (m.channels ?? 3) <= 2) ? 1 : 3;
  const size = kept.every((m) => m.width <= 28 && m.height <= 28) ? 28 : 32;
  const per = size * size * channels;
  const pixels = new Uint8Array(kept.length * per);
  const keptLabels: number[] = [];
  let skipped = 0,
    at = 0;
  for (let i = 0; i < pngs.length; i++) {
    if (!ok[i]) {
      skipped++;
      continue;
    }
    try {
      let img = sharp(pngs[i]!).resize(size, size, { fit: "fill" }).flatten({ background: "#ffffff" });
      img = channels === 1 ? img.toColourspace("b-w") : img.toColourspace("srgb");
      const raw = await img.raw().toBuffer({ resolveWithObject: true });
      if (raw.info.channels !== channels) throw new Error(`decoded ${raw.info.channels} channels`);
      pixels.set(raw.data, at * per);
      keptLabels.push(labels[i]!);
      at++;
    } catch {
      skipped++;
    }
  }
  return { size, channels, pixels: pixels.subarray(0, at * per), labels: Int32Array.from(keptLabels), skipped };
}

/** Splits decoded images into training (all unlabelled + the non-held-out labelled) and the held-out test set. */
export function projectExperimentData(d: DecodedProjectImages, classes: string[], testFraction: number, seed: number): { data: ExperimentData; trainIndices: Int32Array; testIndices: Int32Array } {
  const { train, test } = stratifiedHoldOut(d.labels, testFraction, seed);
  if (test.length === 0) throw new Error("no labelled images to test on: label at least two images of a class");
  const per = d.size * d.size * d.channels;
  const gather = (indices: Int32Array) => {
    const out = new Uint8Array(indices.length * per);
    indices.forEach((i, k) => out.set(d.pixels.subarray(i * per, (i + 1) * per), k * per));
    return pixelsToTensor(out, indices.length, d.size, d.channels);
  };
  return {
    data: {
      classes,
      train: { images: gather(train), labels: Int32Array.from(train, (i) => d.labels[i]!) },
      test: { images: gather(test), labels: Int32Array.from(test, (i) => d.labels[i]!) },
    },
    trainIndices: train,
    testIndices: test,
  };
}

/** A budget's config fitted to a project's data: sizes, counts, and a linear evaluation no larger than its labels. */
export function fitConfigToProject(config: ExperimentConfig, d: DecodedProjectImages, trainCount: number, testCount: number, trainLabelled: number): ExperimentConfig {
  return {
    ...config,
    inputSize: d.size,
    channels: d.channels,
    trainImages: trainCount,
    testImages: testCount,
    linearEval: { ...config.linearEval, featureImages: Math.min(config.linearEval.featureImages, trainLabelled) },
  };
}
