// Small response helpers shared by the plain HTTP routes.
import type { IncomingMessage, ServerResponse } from "node:http";
import { AccessError, httpStatusOf } from "../access";
import { HttpError } from "../errors";

export function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

/** Maps known errors to their status with a readable message; anything else is a 500 without internals. */
export function sendError(res: ServerResponse, err: unknown) {
  if (res.headersSent) {
    res.destroy(err instanceof Error ? err : undefined);
    return;
  }
  if (err instanceof AccessError) return sendJson(res, httpStatusOf[err.failure], { error: err.message, code: err.failure });
  if (err instanceof HttpError) return sendJson(res, err.status, { error: err.message });
  console.error("fewlabel: request failed", err);
  sendJson(res, 500, { error: "Something went wrong on the server; nothing was changed by the failed step." });
}

/**
 * For a request whose body was refused before it was read: close the connection once the answer is out, rather
 * than draining whatever the client goes on sending.
 */
export function closeAfterAnswer(req: IncomingMessage, res: ServerResponse) {
  // The socket may already be detached from a finished exchange (then there is nothing left to close).
  const close = () => req.socket?.destroy();
  if (res.writableFinished) close();
  else res.once("finish", close);
}

/** A request's JSON body, refused (413) past `maxBytes` and (400) when it is not JSON. */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  if (Number(req.headers["content-length"]) > maxBytes) throw new HttpError(413, `Body larger than ${maxBytes} bytes.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new HttpError(413, `Body larger than ${maxBytes} bytes.`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "The body is not valid JSON.");
  }
}
