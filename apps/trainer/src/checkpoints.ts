// Checkpoints travel to the server as one opaque blob per slot (the server stores it and never reads it): the two
// files @fewlabel/ml's saveCheckpoint writes (checkpoint.json + weights.bin), framed as
// "FLCK" | u32 json length | json | weights.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { tf, tfl } from "@fewlabel/ml";
import { type CheckpointInfo, loadCheckpoint, saveCheckpoint } from "@fewlabel/ml/node";
import type { TrainerApi } from "./api-client";

const MAGIC = Buffer.from("FLCK");

export function packCheckpoint(json: Buffer, weights: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  return Buffer.concat([MAGIC, len, json, weights]);
}

export function unpackCheckpoint(blob: Buffer): { json: Buffer; weights: Buffer } {
  if (blob.length < 8 || !blob.subarray(0, 4).equals(MAGIC)) throw new Error("not a fewlabel checkpoint blob");
  const n = blob.readUInt32LE(4);
  if (8 + n > blob.length) throw new Error("truncated checkpoint blob");
  return { json: blob.subarray(8, 8 + n), weights: blob.subarray(8 + n) };
}

async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "fewlabel-ckpt-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Saves models (+ optimizer) to the server's slot for this project. */
export async function uploadCheckpoint<E>(
  api: TrainerApi,
  projectId: string,
  leaseId: string,
  slot: string,
  info: CheckpointInfo<E>,
  models: Record<string, tfl.LayersModel>,
  optimizer?: tf.Optimizer,
): Promise<void> {
  await withTempDir(async (dir) => {
    await saveCheckpoint(dir, info, models, optimizer);
    const blob = packCheckpoint(await readFile(path.join(dir, "checkpoint.json")), await readFile(path.join(dir, "weights.bin")));
    await api.putCheckpoint(projectId, leaseId, slot, blob);
  });
}

/** Only the info of a slot's checkpoint (no weights loaded); null when the slot is empty or unreadable. */
export async function peekCheckpoint<E>(api: TrainerApi, projectId: string, slot: string): Promise<{ info: CheckpointInfo<E>; blob: Buffer } | null> {
  const blob = await api.getCheckpoint(projectId, slot);
  if (!blob) return null;
  try {
    const { json } = unpackCheckpoint(blob);
    const file = JSON.parse(json.toString("utf8")) as CheckpointInfo<E>;
    return { info: { stage: file.stage, nextStep: file.nextStep, extra: file.extra }, blob };
  } catch {
    return null;
  }
}

/** Loads a blob's weights into freshly built models (and the optimizer's state when given). */
export async function restoreCheckpoint<E>(blob: Buffer, models: Record<string, tfl.LayersModel>, optimizer?: tf.Optimizer): Promise<CheckpointInfo<E>> {
  return withTempDir(async (dir) => {
    const { json, weights } = unpackCheckpoint(blob);
    await writeFile(path.join(dir, "checkpoint.json"), json);
    await writeFile(path.join(dir, "weights.bin"), weights);
    return loadCheckpoint<E>(dir, models, optimizer);
  });
}

/** A slot's checkpoint as peekCheckpoint reads it; `extra.done` marks a run that finished. */
export type PeekedCheckpoint<E> = { info: CheckpointInfo<E & { done?: boolean }>; blob: Buffer };

/**
 * Where a stage starts, written once for every stage: from its slot's checkpoint, weights and optimizer at the step it
 * reached, when that checkpoint is an unfinished run of the same work (`sameRun`: the same run number, model spec and
 * classes; the same teacher); else, where `warmStart` accepts it (a finished earlier pretraining of the same spec, which
 * an extension continues), its weights only, from step 0; else from scratch. Resolves with the first step to run.
 */
export async function resumeStage<E>(
  previous: PeekedCheckpoint<E> | null,
  models: Record<string, tfl.LayersModel>,
  optimizer: tf.Optimizer,
  o: { sameRun(extra: E): boolean; warmStart?(extra: E): boolean },
): Promise<number> {
  const extra = previous?.info.extra;
  if (!previous || !extra) return 0;
  if (!extra.done && o.sameRun(extra)) {
    await restoreCheckpoint(previous.blob, models, optimizer);
    return previous.info.nextStep;
  }
  if (o.warmStart?.(extra)) await restoreCheckpoint(previous.blob, models);
  return 0;
}
