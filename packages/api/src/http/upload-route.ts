// POST /api/uploads/:uploadId/files: the files of one upload request as multipart/form-data (the browser sends an
// upload as several such requests). Loose files are held in memory up to a per-request budget, archives are spooled
// to a temporary file. The response is NDJSON: progress lines while images are processed, then the summary, so the
// UI's progress bar keeps moving after the bytes have arrived.
import fs from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import busboy from "busboy";
import { requireProjectAccess, requireSignedIn } from "../access";
import type { ResolvedSession } from "../auth/sessions";
import type { ApiServices } from "../context";
import { HttpError } from "../errors";
import { type IncomingFile, ingestFiles, type Rejection } from "../services/ingest";
import { announce } from "../services/project-events";
import { sendError } from "./respond";

export const uploadLimits = {
  /** Loose (non-archive) bytes held in memory per request; the browser client sends far less per request. */
  looseBytesPerRequest: 256 * 1024 * 1024,
  looseFileBytes: 50 * 1024 * 1024,
  archiveBytes: 4 * 1024 * 1024 * 1024,
  filesPerRequest: 10_000,
};

interface Received {
  files: IncomingFile[];
  rejected: Rejection[];
  tempDir: string;
}

/** Cleans a client-supplied relative path: forward slashes, no leading slash, no `..` or empty segments. */
export function cleanUploadPath(raw: string): string {
  const parts = raw.replace(/\\/g, "/").split("/").filter((s) => s && s !== "." && s !== "..");
  return parts.join("/").slice(0, 1000) || "unnamed";
}

function receive(req: IncomingMessage): Promise<Received> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: req.headers,
        limits: { files: uploadLimits.filesPerRequest, fileSize: uploadLimits.archiveBytes, fields: 10, parts: uploadLimits.filesPerRequest + 10 },
        preservePath: true,
      });
    } catch {
      reject(new HttpError(400, "Send the files as multipart/form-data."));
      return;
    }
    const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "fewlabel-upload-"));
    const out: Received = { files: [], rejected: [], tempDir };
    const pending: Promise<void>[] = [];
    let looseBytes = 0;

    bb.on("file", (_field, stream, info) => {
      // Each part carries its relative path (folder uploads) as the filename.
      const name = cleanUploadPath(info.filename ?? "unnamed");
      if (/\.zip$/i.test(name)) {
        const spool = path.join(tempDir, `${pending.length}.zip`);
        pending.push(
          pipeline(stream, fs.createWriteStream(spool)).then(() => {
            if ((stream as { truncated?: boolean }).truncated) {
              out.rejected.push({ path: name, code: "too_large_bytes", message: `The archive is larger than ${uploadLimits.archiveBytes / 2 ** 30} GB.` });
            } else out.files.push({ path: name, archiveFile: spool });
          }),
        );
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let refused: string | undefined;
      stream.on("data", (c: Buffer) => {
        size += c.length;
        if (refused) return;
        if (size > uploadLimits.looseFileBytes) refused = `The file is larger than ${uploadLimits.looseFileBytes / 2 ** 20} MB.`;
        else if (looseBytes + size > uploadLimits.looseBytesPerRequest) refused = "Too much data in one request; send fewer files at a time.";
        else chunks.push(c);
      });
      pending.push(
        new Promise<void>((done, fail) => {
          stream.on("error", fail);
          stream.on("end", () => {
            if (refused) out.rejected.push({ path: name, code: "too_large_bytes", message: refused });
            else {
              looseBytes += size;
              out.files.push({ path: name, bytes: Buffer.concat(chunks) });
            }
            done();
          });
        }),
      );
    });
    bb.on("filesLimit", () => out.rejected.push({ path: "(request)", code: "too_many_files", message: `At most ${uploadLimits.filesPerRequest} files per request.` }));
    bb.on("error", (err) => reject(new HttpError(400, `The upload could not be read: ${(err as Error).message}`)));
    bb.on("close", () => Promise.all(pending).then(() => resolve(out), reject));
    req.on("aborted", () => reject(new HttpError(400, "The upload was interrupted.")));
    req.pipe(bb);
  });
}

async function* fromArray<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

export async function handleUploadFiles(req: IncomingMessage, res: ServerResponse, services: ApiServices, session: ResolvedSession | null, uploadId: string) {
  let received: Received | undefined;
  try {
    requireSignedIn(session);
    const upload = /^[0-9a-f-]{36}$/i.test(uploadId)
      ? await services.db.upload.findUnique({ where: { id: uploadId }, select: { projectId: true, finishedAt: true } })
      : null;
    // Authorize before reading a single byte of the body.
    if (!upload) throw new HttpError(404, "Upload not found.");
    const access = await requireProjectAccess(services.db, session, upload.projectId, "upload");
    if (upload.finishedAt) throw new HttpError(409, "This upload is already finished; start a new one.");
    received = await receive(req);

    res.writeHead(200, { "content-type": "application/x-ndjson; charset=utf-8", "cache-control": "no-store" });
    let lastSent = 0;
    const summary = await ingestFiles(
      services,
      { projectId: upload.projectId, uploadId, userId: access.userId, role: access.role },
      fromArray(received.files),
      {
        onProgress: (processed, s) => {
          if (processed - lastSent >= 50) {
            lastSent = processed;
            res.write(`${JSON.stringify({ type: "progress", processed, accepted: s.accepted, rejected: s.rejected.length })}\n`);
          }
        },
      },
    );
    summary.rejected.unshift(...received.rejected);
    if (summary.accepted > 0 || summary.labelled > 0) {
      await announce(services, upload.projectId, { id: access.userId, name: session!.user.name }, [
        { type: "images.added", data: { count: summary.accepted, labelled: summary.labelled } },
      ]);
    }
    res.end(`${JSON.stringify({ type: "done", ...summary })}\n`);
  } catch (err) {
    if (res.headersSent) res.end(`${JSON.stringify({ type: "error", error: "The server failed while storing this batch; images already listed as accepted are kept." })}\n`);
    else sendError(res, err);
    if (!(err instanceof HttpError) && (err as Error).name !== "AccessError") console.error("fewlabel: upload failed", err);
  } finally {
    if (received) fs.rmSync(received.tempDir, { recursive: true, force: true });
    // Drain anything unread so the connection can be reused.
    if (!req.complete) req.resume();
  }
}
