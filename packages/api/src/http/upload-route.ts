// POST /api/uploads/:uploadId/files: the files of one upload request as multipart/form-data (the browser sends an
// upload as several such requests). Every file is spooled to a temporary folder as it arrives (loose files up to a
// per-request budget); ingest reads them back one at a time. The response is NDJSON: progress lines while images are processed, then the summary, so the
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
import { closeAfterAnswer, sendError } from "./respond";
import { stripControlCharacters } from "../text";

export const uploadLimits = {
  /** Loose (non-archive) bytes per request; the browser client sends far less per request. */
  looseBytesPerRequest: 256 * 1024 * 1024,
  looseFileBytes: 50 * 1024 * 1024,
  archiveBytes: 4 * 1024 * 1024 * 1024,
  filesPerRequest: 10_000,
};

interface Received {
  files: IncomingFile[];
  rejected: Rejection[];
}

export const SPOOL_PREFIX = "fewlabel-upload-";

/**
 * Removes spool folders that a crashed server left behind: those older than `olderThanMs` (no request lives that
 * long, so a folder of another instance's upload in progress is never touched). Returns how many were removed.
 */
export function sweepUploadLeftovers(olderThanMs: number, dir = os.tmpdir()): number {
  let removed = 0;
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.startsWith(SPOOL_PREFIX));
  } catch {
    return 0;
  }
  for (const name of names) {
    const full = path.join(dir, name);
    try {
      if (Date.now() - fs.statSync(full).mtimeMs < olderThanMs) continue;
      fs.rmSync(full, { recursive: true, force: true });
      removed++;
    } catch {
      // gone meanwhile, or not ours to remove: leave it
    }
  }
  return removed;
}

/** The most a request may send: one archive at its limit and the loose bytes, with room for multipart framing. */
const maxRequestBytes = () => uploadLimits.archiveBytes + uploadLimits.looseBytesPerRequest + 1024 * 1024;

/**
 * Cleans a client-supplied relative path: no control or bidi-override characters, forward slashes, no leading
 * slash, no `..` or empty segments.
 */
export function cleanUploadPath(raw: string): string {
  const parts = stripControlCharacters(raw)
    .replace(/\\/g, "/")
    .split("/")
    .filter((s) => s && s !== "." && s !== "..");
  return parts.join("/").slice(0, 1000) || "unnamed";
}

/**
 * Reads the multipart body. Archives are spooled into the folder `spoolDir()` makes (only when one arrives); the
 * caller removes it whatever happens, so an interrupted or malformed request leaves nothing on disk.
 */
function receive(req: IncomingMessage, spoolDir: () => string): Promise<Received> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: req.headers,
        limits: { files: uploadLimits.filesPerRequest, fileSize: uploadLimits.archiveBytes, fields: 10, parts: uploadLimits.filesPerRequest + 10 },
        preservePath: true,
        // Browsers send UTF-8 file names; busboy's default reads them as latin1 ("café.png" became "cafÃ©.png").
        defParamCharset: "utf8",
      });
    } catch {
      reject(new HttpError(400, "Send the files as multipart/form-data."));
      return;
    }
    const out: Received = { files: [], rejected: [] };
    const pending: Promise<void>[] = [];
    let looseBytes = 0;
    let looseSeen = 0;
    let failed = false;
    const fail = (err: HttpError) => {
      if (failed) return;
      failed = true;
      req.unpipe(bb);
      reject(err);
    };
    // Refused loose files are counted rather than kept, but a request cannot go on sending for ever.
    let requestBytes = 0;
    req.on("data", (c: Buffer) => {
      requestBytes += c.length;
      if (requestBytes > maxRequestBytes()) fail(new HttpError(413, "The request is larger than an upload may be."));
    });

    bb.on("file", (_field, stream, info) => {
      if (failed) return void stream.resume();
      // Each part carries its relative path (folder uploads) as the filename.
      const name = cleanUploadPath(info.filename ?? "unnamed");
      if (/\.zip$/i.test(name)) {
        const spool = path.join(spoolDir(), `${pending.length}.zip`);
        track(
          pipeline(stream, fs.createWriteStream(spool)).then(() => {
            if ((stream as { truncated?: boolean }).truncated) {
              out.rejected.push({ path: name, code: "too_large_bytes", message: `The archive is larger than ${uploadLimits.archiveBytes / 2 ** 30} GB.` });
            } else out.files.push({ path: name, archiveFile: spool });
          }),
        );
        return;
      }
      // Loose files are spooled to disk like archives: memory holds a chunk, not a request's worth of images.
      const spool = path.join(spoolDir(), `${pending.length}.part`);
      const sink = fs.createWriteStream(spool);
      let size = 0;
      let refused: string | undefined;
      stream.on("data", (c: Buffer) => {
        size += c.length;
        looseSeen += c.length;
        // Refused files are read past, not kept; but a client that goes on sending far beyond the limits is cut off.
        if (looseSeen > uploadLimits.looseBytesPerRequest + 2 * uploadLimits.looseFileBytes) {
          fail(new HttpError(413, "Too much data in one request; send fewer or smaller files at a time."));
          return;
        }
        if (refused) return;
        if (size > uploadLimits.looseFileBytes) refused = `The file is larger than ${uploadLimits.looseFileBytes / 2 ** 20} MB.`;
        else if (looseBytes + size > uploadLimits.looseBytesPerRequest) refused = "Too much data in one request; send fewer files at a time.";
        else if (!sink.write(c)) {
          stream.pause();
          sink.once("drain", () => stream.resume());
        }
      });
      track(
        new Promise<void>((done, failPart) => {
          stream.on("error", failPart);
          sink.on("error", failPart);
          stream.on("end", () =>
            sink.end(() => {
              if (refused) {
                out.rejected.push({ path: name, code: "too_large_bytes", message: refused });
                fs.rm(spool, { force: true }, () => undefined);
              } else {
                looseBytes += size;
                out.files.push({ path: name, spooledFile: spool });
              }
              done();
            }),
          );
        }),
      );
    });
    bb.on("filesLimit", () => out.rejected.push({ path: "(request)", code: "too_many_files", message: `At most ${uploadLimits.filesPerRequest} files per request.` }));
    // A part that fails after the request was given up must not become an unhandled rejection.
    function track(p: Promise<void>) {
      pending.push(p);
      p.catch(() => undefined);
    }
    bb.on("error", (err) => fail(new HttpError(400, `The upload could not be read: ${(err as Error).message}`)));
    bb.on("close", () =>
      Promise.all(pending).then(
        () => resolve(out),
        (err) => fail(err instanceof HttpError ? err : new HttpError(400, "The upload could not be read.")),
      ),
    );
    req.on("aborted", () => fail(new HttpError(400, "The upload was interrupted.")));
    req.pipe(bb);
  });
}

async function* fromArray<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

export async function handleUploadFiles(req: IncomingMessage, res: ServerResponse, services: ApiServices, session: ResolvedSession | null, uploadId: string) {
  let received: Received | undefined;
  let tempDir: string | undefined;
  try {
    requireSignedIn(session);
    const upload = /^[0-9a-f-]{36}$/i.test(uploadId) ? await services.db.upload.findUnique({ where: { id: uploadId }, select: { projectId: true, finishedAt: true } }) : null;
    // Authorize before reading a single byte of the body.
    if (!upload) throw new HttpError(404, "Upload not found.");
    const access = await requireProjectAccess(services.db, session, upload.projectId, "upload");
    if (upload.finishedAt) throw new HttpError(409, "This upload is already finished; start a new one.");
    received = await receive(req, () => (tempDir ??= fs.mkdtempSync(path.join(os.tmpdir(), SPOOL_PREFIX))));

    res.writeHead(200, { "content-type": "application/x-ndjson; charset=utf-8", "cache-control": "no-store" });
    let lastSent = 0;
    const summary = await ingestFiles(services, { projectId: upload.projectId, uploadId, userId: access.userId, role: access.role }, fromArray(received.files), {
      onProgress: (processed, s) => {
        if (processed - lastSent >= 50) {
          lastSent = processed;
          res.write(`${JSON.stringify({ type: "progress", processed, accepted: s.accepted, rejected: s.rejected.length })}\n`);
        }
      },
    });
    summary.rejected.unshift(...received.rejected);
    if (summary.accepted > 0 || summary.labelled > 0) {
      await announce(services, upload.projectId, { id: access.userId, name: session!.user.name }, [{ type: "images.added", data: { count: summary.accepted, labelled: summary.labelled } }]);
    }
    res.end(`${JSON.stringify({ type: "done", ...summary })}\n`);
  } catch (err) {
    if (res.headersSent) res.end(`${JSON.stringify({ type: "error", error: "The server failed while storing this batch; images already listed as accepted are kept." })}\n`);
    else sendError(res, err);
    if (!(err instanceof HttpError) && (err as Error).name !== "AccessError") console.error("fewlabel: upload failed", err);
  } finally {
    if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
    // A body refused before it was read (no session, no access, too large) is not drained: the connection is closed
    // once the answer is out, so a refused client cannot keep it busy sending.
    if (!req.complete) closeAfterAnswer(req, res);
  }
}
