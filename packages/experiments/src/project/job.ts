// What the web server hands the experiment child process (pure data; no TensorFlow.js here, the server imports it):
// job.json, and where the images are: on a local image store the child reads the training copies itself (`store`:
// the store's folder, the copies' size and each image's content hash, in the order of `labels`), so the web server
// never reads a project's images for an experiment; otherwise images.bin beside job.json, a sequence of
// [u32 big-endian length][PNG bytes] records, one per image. Messages come back over the child's IPC channel.
import type { ExperimentConfig } from "../config";
import type { ExperimentEvent, ExperimentResults } from "../report/types";

export interface ProjectExperimentJob {
  /** Budget-based config; input size and channels are settled by the child from the images. */
  config: ExperimentConfig;
  classes: string[];
  /** Class index per image in images.bin, -1 = unlabelled. */
  labels: number[];
  /** Fraction of each class's labelled images held out as the test set. */
  testFraction: number;
  /** Where to write results.md, accuracy.svg, config.json, results.json. */
  outDir: string;
  /** The images in a local image store, read by the child (absent: images.bin holds them). */
  store?: { rootDir: string; trainingCopySide: number; hashes: string[] };
}

export type WorkerMessage =
  | { type: "config"; config: ExperimentConfig; trainImages: number; testImages: number; skipped: number }
  | { type: "event"; event: ExperimentEvent }
  | { type: "done"; results: ExperimentResults }
  | { type: "error"; message: string };

/** One record of images.bin: the image's length, then its bytes. */
export function imageRecord(png: Buffer): Buffer[] {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(png.length);
  return [length, png];
}

export function decodeImageRecords(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let o = 0; o < bytes.length; ) {
    if (o + 4 > bytes.length) throw new Error("images.bin is truncated");
    const n = bytes.readUInt32BE(o);
    if (o + 4 + n > bytes.length) throw new Error("images.bin is truncated");
    out.push(bytes.subarray(o + 4, o + 4 + n));
    o += 4 + n;
  }
  return out;
}
