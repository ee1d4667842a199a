// One upload request: the chunk's files as multipart/form-data over XMLHttpRequest (fetch cannot report upload
// progress), then the server's NDJSON answer read line by line while it processes the images.
import type { UploadItem } from "./collect-files";

export interface FileProblem {
  path: string;
  code: string;
  message: string;
}
export interface ProgressLine {
  type: "progress";
  processed: number;
  accepted: number;
  rejected: number;
}
export interface DoneLine {
  type: "done";
  accepted: number;
  duplicates: number;
  labelled: number;
  rejected: FileProblem[];
  warnings: FileProblem[];
}

export class ChunkError extends Error {
  constructor(
    message: string,
    /** The same request would fail again (signed out, no permission, upload closed): stop sending the rest. */
    readonly fatal: boolean,
  ) {
    super(message);
    this.name = "ChunkError";
  }
}

export interface ChunkCallbacks {
  /** Bytes of this request's body sent so far (of `total`). */
  onSent: (loaded: number, total: number) => void;
  onProgress: (line: ProgressLine) => void;
}

/** Splits NDJSON text arriving in pieces into parsed lines; keeps an incomplete last line for the next piece. */
export function ndjsonReader(onLine: (value: unknown) => void) {
  let consumed = 0;
  return (text: string, final: boolean) => {
    const end = final ? text.length : text.lastIndexOf("\n") + 1;
    if (end <= consumed) return;
    for (const line of text.slice(consumed, end).split("\n")) {
      const t = line.trim();
      if (!t) continue;
      try {
        onLine(JSON.parse(t));
      } catch {
        // A line we cannot read is not worth failing the request for; the final "done" line decides.
      }
    }
    consumed = end;
  };
}

export function sendChunk(uploadId: string, items: UploadItem[], cb: ChunkCallbacks, signal?: AbortSignal): Promise<DoneLine> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const { file, path } of items) form.append("files", file, path);

    const xhr = new XMLHttpRequest();
    let done: DoneLine | undefined;
    let serverError: string | undefined;
    const read = ndjsonReader((v) => {
      const line = v as { type?: string; error?: string };
      if (line.type === "progress") cb.onProgress(v as ProgressLine);
      else if (line.type === "done") done = v as DoneLine;
      else if (line.type === "error") serverError = line.error ?? "The server failed while storing this batch.";
    });

    xhr.open("POST", `/api/uploads/${encodeURIComponent(uploadId)}/files`);
    xhr.upload.onprogress = (e) => cb.onSent(e.loaded, e.lengthComputable ? e.total : 0);
    xhr.onprogress = () => {
      if (xhr.status >= 200 && xhr.status < 300) read(xhr.responseText, false);
    };
    xhr.onload = () => {
      if (xhr.status < 200 || xhr.status >= 300) {
        let message = `The server answered ${xhr.status}.`;
        try {
          message = (JSON.parse(xhr.responseText) as { error?: string }).error ?? message;
        } catch {
          // not JSON: keep the status line
        }
        reject(new ChunkError(message, [401, 403, 404, 409].includes(xhr.status)));
        return;
      }
      read(xhr.responseText, true);
      if (done) resolve(done);
      else reject(new ChunkError(serverError ?? "The server's answer ended early.", false));
    };
    xhr.onerror = () => reject(new ChunkError("The connection to the server was lost.", false));
    xhr.onabort = () => reject(new DOMException("Upload cancelled", "AbortError"));
    if (signal) {
      if (signal.aborted) return reject(new DOMException("Upload cancelled", "AbortError"));
      signal.addEventListener("abort", () => xhr.abort(), { once: true });
    }
    xhr.send(form);
  });
}
