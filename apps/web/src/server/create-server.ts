// The one Node HTTP server of a fewlabel web instance: /api/* goes to the api package, /socket.io/ to the realtime
// layer, everything else to Next.js (when given). Tests start it without Next to exercise the api and the sockets
// from the outside, over real HTTP and real socket.io.
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { backfillTrainingCopies, type Broadcaster, createApiHttpHandler, sweepUploadLeftovers } from "@fewlabel/api";
import type { PrismaClient } from "@fewlabel/db";
import type { ProjectEvent } from "@fewlabel/realtime";
import { type ImageStore, trainingCopySide } from "@fewlabel/storage";
import { registerServiceTrainerToken } from "@fewlabel/api/trainer-tokens";
import { attachRealtime, type Realtime } from "./realtime";

export type PageHandler = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> | void;

export interface FewlabelServerOptions {
  db: PrismaClient;
  store: ImageStore;
  /** Next.js's request handler; without it non-API paths answer 404. */
  pages?: PageHandler;
  /** Redis for socket.io rooms shared by several web instances. */
  redisUrl?: string;
  /** Longest side of the training copies (default: FEWLABEL_TRAINING_COPY_SIZE, else 256). */
  trainingCopySide?: number;
  /** FEWLABEL_SERVICE_TRAINER_TOKEN: the secret of a trainer service that may serve every project. */
  serviceTrainerToken?: string;
}

export interface FewlabelServer {
  server: http.Server;
  realtime: Realtime;
  listen(port: number, host?: string): Promise<AddressInfo>;
  close(): Promise<void>;
}

export async function createFewlabelServer(options: FewlabelServerOptions): Promise<FewlabelServer> {
  // The api publishes through this before socket.io exists; it forwards once attached below.
  let realtime: Realtime | undefined;
  const broadcaster: Broadcaster = {
    publish: (events: readonly ProjectEvent[]) => realtime?.publish(events),
    publishTransient: (events: readonly ProjectEvent[]) => realtime?.publishTransient(events),
    leaveProject: (projectId: string, userId: string) => realtime?.leaveProject?.(projectId, userId),
    endSession: (sessionId: string) => realtime?.endSession?.(sessionId),
  };
  // Read (and checked) once: a bad FEWLABEL_TRAINING_COPY_SIZE stops the server here, naming the setting.
  const copySide = options.trainingCopySide ?? trainingCopySide();
  if (options.serviceTrainerToken) await registerServiceTrainerToken(options.db, options.serviceTrainerToken);
  const api = createApiHttpHandler({ db: options.db, store: options.store, broadcaster, trainingCopySide: copySide });
  // Archives spooled by a server that crashed mid-upload; an upload in progress elsewhere is younger than this.
  const swept = sweepUploadLeftovers(UPLOAD_REQUEST_MS);
  if (swept) console.log(`fewlabel: removed ${swept} upload spool folder(s) left by an earlier run`);
  const server = http.createServer((req, res) => {
    setSecurityHeaders(req, res);
    limitRequestTime(req, res);
    void (async () => {
      try {
        if (await api(req, res)) return;
        if (options.pages) await options.pages(req, res);
        else {
          res.writeHead(404, { "content-type": "text/plain" });
          res.end("Not found");
        }
      } catch (err) {
        console.error("fewlabel: unhandled request error", err);
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
        res.end("Internal error");
      }
    })();
  });
  // Large uploads over slow links: the server-wide limit is the uploads' (limitRequestTime gives every other request
  // far less); headers must arrive promptly.
  server.requestTimeout = UPLOAD_REQUEST_MS;
  server.headersTimeout = 30_000;
  realtime = await attachRealtime(server, { db: options.db, redisUrl: options.redisUrl });
  const live = realtime;
  // Copies of images uploaded under another training copy size, made in the background (see backfillTrainingCopies).
  const stopBackfill = new AbortController();
  const backfill = backfillTrainingCopies({ db: options.db, store: options.store, trainingCopySide: copySide }, { signal: stopBackfill.signal })
    .then((r) => {
      if (r.made || r.failed) console.log(`fewlabel: training copies at ${copySide} px: ${r.made} made for images stored under another size${r.failed ? `, ${r.failed} could not be made` : ""}`);
    })
    .catch((err: unknown) => {
      if (!stopBackfill.signal.aborted) console.error(`fewlabel: making training copies stopped: ${err instanceof Error ? err.message : String(err)}`);
    });
  return {
    server,
    realtime: live,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => resolve(server.address() as AddressInfo));
      }),
    async close() {
      stopBackfill.abort();
      await backfill;
      server.closeAllConnections();
      // Closes the socket.io server and the HTTP server under it.
      await live.close();
    },
  };
}

/**
 * How long a request may take to arrive: an upload (an archive of up to 4 GB, or a remote trainer's checkpoint or
 * model), and everything else.
 */
export const UPLOAD_REQUEST_MS = 60 * 60_000;
/** For every other request; a field so that tests can shorten it. */
export const requestLimits = { requestMs: 60_000 };
const UPLOAD_PATH = /^\/api\/(uploads\/[^/]+\/files|trainer\/projects\/[^/]+\/(checkpoints\/[^/]+|models))$/;
const isUpload = (req: http.IncomingMessage) => (req.method === "POST" || req.method === "PUT") && UPLOAD_PATH.test((req.url ?? "").split("?")[0]!);

/**
 * Closes the connection of a request whose body has not arrived in time (a client sending a byte now and then holds
 * a connection for ever otherwise). Node's requestTimeout is one value for every route; uploads need an hour.
 */
function limitRequestTime(req: http.IncomingMessage, res: http.ServerResponse) {
  if (req.complete) return;
  const timer = setTimeout(
    () => {
      if (req.complete) return;
      if (!res.headersSent) {
        res.writeHead(408, { "content-type": "text/plain", connection: "close" });
        res.end("The request took too long to arrive.");
      }
      req.socket.destroy();
    },
    isUpload(req) ? UPLOAD_REQUEST_MS : requestLimits.requestMs,
  );
  timer.unref();
  const clear = () => clearTimeout(timer);
  req.once("end", clear);
  req.once("close", clear);
}

/**
 * Headers for every answer. The content security policy runs only scripts that carry this response's nonce, and
 * what they load ('strict-dynamic'): Next.js reads the nonce from the request's own content-security-policy header
 * (set here before the page handler sees it) and puts it on every script it renders, so an injected script runs
 * nowhere. Styles stay 'unsafe-inline' (React style attributes cannot carry a nonce); nothing is loaded from other
 * origins: no foreign scripts, frames, form targets or plugins.
 */
function setSecurityHeaders(req: http.IncomingMessage, res: http.ServerResponse) {
  const dev = process.env.NODE_ENV !== "production";
  res.setHeader("x-frame-options", "DENY");
  res.setHeader("referrer-policy", "same-origin");
  res.setHeader("x-content-type-options", "nosniff");
  res.setHeader("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()");
  const nonce = randomBytes(18).toString("base64");
  const csp = [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self' ws: wss:",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
  res.setHeader("content-security-policy", csp);
  req.headers["content-security-policy"] = csp;
  const secure = (req.socket as { encrypted?: boolean }).encrypted === true || req.headers["x-forwarded-proto"] === "https";
  if (secure) res.setHeader("strict-transport-security", "max-age=31536000");
}
