// Plain HTTP routes for the binary side of the trainer service (tRPC carries JSON only):
//   PUT|GET|DELETE /api/trainer/projects/:projectId/checkpoints/:slot   opaque checkpoint blobs (trainer token)
//   POST /api/trainer/projects/:projectId/models                        publish a model version (multipart: a `meta`
//                                                                       JSON field + files named "<kind>/<file>")
//   GET  /api/models/:versionId/:kind/:file                             one file (members, or the project's trainer)
//   GET  /api/models/:versionId/:kind.zip                               model.json + weights + metadata as a zip
// Writes need the project's live trainer lease in the `x-fewlabel-lease` header.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import busboy from "busboy";
import { type ImageStore, ImageNotFoundError, SizeLimitError, writeZip } from "@fewlabel/storage";
import { requireProjectAccess, requireTrainerAccess } from "../access";
import type { ResolvedSession } from "../auth/sessions";
import type { TrainerIdentity } from "../auth/trainer-tokens";
import type { ApiServices } from "../context";
import { HttpError } from "../errors";
import { type ModelKind, MODEL_FILE_NAME, modelFileKey, modelKinds, publishMeta, publishModelVersion, type StoredModelFile } from "../services/model-versions";
import { holdsTrainerLease } from "../services/trainer-lease";
import { closeAfterAnswer, sendError, sendJson } from "./respond";

const mib = (key: string, fallback: number) => {
  const v = Number(process.env[key]);
  return (Number.isFinite(v) && v > 0 ? v : fallback) * 1024 * 1024;
};

/**
 * Trainer uploads, a checkpoint (a ResNet-18's weights and Adam moments are ~135 MB) or a model's files, stream into
 * the store as they arrive: none is ever whole in the server's memory, so the tokens and leases anyone can make cannot
 * fill it. Beyond these sizes an upload is refused (413) and nothing of it is kept.
 */
export const trainerLimits = {
  checkpointBytes: mib("FEWLABEL_TRAINER_UPLOAD_MB", 256),
  modelBytes: mib("FEWLABEL_TRAINER_UPLOAD_MB", 256),
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SLOT = /^[a-z0-9][a-z0-9-]{0,39}$/;

export interface Caller {
  session: ResolvedSession | null;
  trainer: TrainerIdentity | null;
}

const checkpointKey = (projectId: string, slot: string) => `checkpoints/${projectId}/${slot}`;

async function requireLeaseHolder(services: ApiServices, req: IncomingMessage, projectId: string) {
  const leaseId = req.headers["x-fewlabel-lease"];
  if (typeof leaseId !== "string" || !(await holdsTrainerLease(services.db, projectId, leaseId))) {
    throw new HttpError(409, "This trainer does not hold the project's trainer lease (it expired or another trainer took it).");
  }
}

export async function handleCheckpoint(req: IncomingMessage, res: ServerResponse, services: ApiServices, caller: Caller, projectId: string, slot: string) {
  try {
    if (!UUID.test(projectId)) throw new HttpError(404, "Project not found.");
    await requireTrainerAccess(services.db, caller.trainer, projectId);
    if (!SLOT.test(slot)) throw new HttpError(400, "A checkpoint slot is 1-40 lowercase letters, digits and dashes.");
    const key = checkpointKey(projectId, slot);
    if (req.method === "PUT") {
      await requireLeaseHolder(services, req, projectId);
      const declared = Number(req.headers["content-length"]);
      if (declared > trainerLimits.checkpointBytes) throw new HttpError(413, `Body larger than ${trainerLimits.checkpointBytes} bytes.`);
      // Streamed into the store as it arrives (never whole in memory); the old checkpoint stays until it is complete.
      const byteSize = await services.store.putStream(key, req, trainerLimits.checkpointBytes).catch((err: unknown) => {
        throw err instanceof SizeLimitError ? new HttpError(413, `Body larger than ${trainerLimits.checkpointBytes} bytes.`) : err;
      });
      await services.db.trainingCheckpoint.upsert({
        where: { projectId_slot: { projectId, slot } },
        create: { projectId, slot, storeKey: key, byteSize },
        update: { storeKey: key, byteSize },
      });
      sendJson(res, 200, { ok: true, byteSize });
    } else if (req.method === "DELETE") {
      await requireLeaseHolder(services, req, projectId);
      await services.db.trainingCheckpoint.deleteMany({ where: { projectId, slot } });
      await services.store.delete(key);
      sendJson(res, 200, { ok: true });
    } else {
      const row = await services.db.trainingCheckpoint.findUnique({ where: { projectId_slot: { projectId, slot } } });
      if (!row) throw new HttpError(404, "No such checkpoint.");
      if (!(await services.store.has(row.storeKey))) throw new ImageNotFoundError(row.storeKey);
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": row.byteSize, "cache-control": "no-store" });
      await pipeline(services.store.createReadStream(row.storeKey), res);
    }
  } catch (err) {
    sendError(res, err instanceof ImageNotFoundError ? new HttpError(404, "The checkpoint's file is missing from the store.") : err);
  } finally {
    if (!req.complete) closeAfterAnswer(req, res);
  }
}

/**
 * Reads a model's multipart body: the `meta` field, and each file streamed into the store under the new version's id
 * as it arrives (all of them together within `modelBytes`). Stores nothing it does not name in the answer: the
 * caller removes the written files if anything fails.
 */
function receiveModel(req: IncomingMessage, store: ImageStore, projectId: string, versionId: string, written: StoredModelFile[]): Promise<{ meta: unknown }> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { files: 30, fields: 2, fileSize: trainerLimits.modelBytes }, preservePath: true });
    } catch {
      reject(new HttpError(400, "Send the model as multipart/form-data."));
      return;
    }
    let meta: unknown;
    let total = 0;
    let failed: Error | undefined;
    const pending: Promise<void>[] = [];
    bb.on("field", (name, value) => {
      if (name !== "meta") return;
      try {
        meta = JSON.parse(value);
      } catch {
        failed ??= new HttpError(400, "meta is not valid JSON.");
      }
    });
    bb.on("file", (_field, stream, info) => {
      const [kind, name, ...rest] = (info.filename ?? "").split("/");
      if (failed || rest.length || !modelKinds.includes(kind as ModelKind) || !name || !MODEL_FILE_NAME.test(name)) {
        failed ??= new HttpError(400, `Model files are named "<teacher|student|encoder>/<file>", got ${JSON.stringify(info.filename)}.`);
        stream.resume();
        return;
      }
      const file = { kind: kind as ModelKind, name };
      // Read to its end even past the limit (stopping a part's stream midway stalls the multipart parser); what is
      // past the limit is not written, and the file fails once its part is over.
      const counted = (async function* () {
        let over = false;
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          total += chunk.length;
          if (total > trainerLimits.modelBytes) over = true;
          if (!over) yield chunk;
        }
        if (over) throw new SizeLimitError(trainerLimits.modelBytes);
      })();
      const p = store.putStream(modelFileKey(projectId, versionId, file.kind, file.name), counted, trainerLimits.modelBytes).then(
        () => void written.push(file),
        (err: unknown) => {
          failed ??= err instanceof SizeLimitError ? new HttpError(413, "Model files too large.") : (err as Error);
          stream.resume();
        },
      );
      pending.push(p);
    });
    bb.on("error", (e) => reject(new HttpError(400, `Malformed multipart body: ${(e as Error).message}`)));
    bb.on("close", () => void Promise.all(pending).then(() => (failed ? reject(failed) : resolve({ meta }))));
    req.pipe(bb);
  });
}

export async function handlePublishModel(req: IncomingMessage, res: ServerResponse, services: ApiServices, caller: Caller, projectId: string) {
  const versionId = randomUUID();
  const written: StoredModelFile[] = [];
  let published = false;
  try {
    if (!UUID.test(projectId)) throw new HttpError(404, "Project not found.");
    const trainer = await requireTrainerAccess(services.db, caller.trainer, projectId);
    await requireLeaseHolder(services, req, projectId);
    const { meta: raw } = await receiveModel(req, services.store, projectId, versionId, written);
    const parsed = publishMeta.safeParse(raw);
    if (!parsed.success) throw new HttpError(400, `Bad model metadata: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    const meta = parsed.data;
    const classes = await services.db.labelClass.count({ where: { projectId, id: { in: meta.classIds } } });
    if (classes !== new Set(meta.classIds).size) throw new HttpError(400, "classIds name classes that are not in this project.");
    if (meta.parentId && (await services.db.modelVersion.count({ where: { id: meta.parentId, projectId } })) === 0) throw new HttpError(400, "parentId is not a model version of this project.");
    const out = await publishModelVersion(services, projectId, { id: trainer.tokenId, name: trainer.name }, meta, versionId, written);
    published = true;
    services.broadcaster?.publish(out.events);
    sendJson(res, 200, { id: out.id, version: out.version });
  } catch (err) {
    sendError(res, err);
  } finally {
    // A refused or failed publish leaves no files behind.
    if (!published) await Promise.all(written.map((f) => services.store.delete(modelFileKey(projectId, versionId, f.kind, f.name)).catch(() => undefined)));
    if (!req.complete) closeAfterAnswer(req, res);
  }
}

// js: preprocess.js, an ES module a browser may import straight from this route (nosniff needs a JavaScript type).
const fileTypes: Record<string, string> = { json: "application/json", bin: "application/octet-stream", js: "text/javascript; charset=utf-8" };

export async function handleModelFile(req: IncomingMessage, res: ServerResponse, services: ApiServices, caller: Caller, versionId: string, kind: string, file: string) {
  try {
    const version = UUID.test(versionId) ? await services.db.modelVersion.findUnique({ where: { id: versionId }, select: { projectId: true, version: true, files: true } }) : null;
    if (!version) throw new HttpError(404, "Model version not found.");
    if (caller.trainer) await requireTrainerAccess(services.db, caller.trainer, version.projectId);
    else await requireProjectAccess(services.db, caller.session, version.projectId, "viewProject");
    const names = (version.files as Partial<Record<ModelKind, string[]>>)[kind as ModelKind];
    if (!names) throw new HttpError(404, `This version has no ${kind} model.`);
    const headers = { "cache-control": "private, max-age=31536000, immutable", "x-content-type-options": "nosniff" };
    if (file.endsWith(".zip") && file === `${kind}.zip`) {
      const { name } = await services.db.project.findUniqueOrThrow({ where: { id: version.projectId }, select: { name: true } });
      const base = `${name.replace(/[^\w.-]+/g, "_").slice(0, 60) || "project"}-v${version.version}-${kind}`;
      res.writeHead(200, { ...headers, "content-type": "application/zip", "content-disposition": `attachment; filename="${base}.zip"` });
      const entries = await Promise.all(names.map(async (n) => ({ path: `${base}/${n}`, data: await services.store.get(modelFileKey(version.projectId, versionId, kind as ModelKind, n)) })));
      await pipeline(writeZip(entries), res);
      return;
    }
    if (!names.includes(file)) throw new HttpError(404, "No such model file.");
    const bytes = await services.store.get(modelFileKey(version.projectId, versionId, kind as ModelKind, file));
    res.writeHead(200, { ...headers, "content-type": fileTypes[file.split(".").pop() ?? ""] ?? "application/octet-stream", "content-length": bytes.length });
    res.end(req.method === "HEAD" ? undefined : bytes);
  } catch (err) {
    sendError(res, err instanceof ImageNotFoundError ? new HttpError(404, "The model file is missing from the store.") : err);
  }
}
