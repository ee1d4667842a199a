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
