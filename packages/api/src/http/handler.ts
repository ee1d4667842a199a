// The api's HTTP entry point: /api/trpc/* (tRPC), uploads, image bytes and exports. The web server mounts it in front
// of Next.js; tests mount it alone. Sessions are resolved and cross-site writes refused here, once for every route.
import type { IncomingMessage, ServerResponse } from "node:http";
import { nodeHTTPRequestHandler } from "@trpc/server/adapters/node-http";
import { isCrossSiteRequest } from "../auth/csrf";
import { readCookie, resolveSession, SESSION_COOKIE, sessionCookie } from "../auth/sessions";
import { readBearerToken, resolveTrainerToken } from "../auth/trainer-tokens";
import type { ApiContext, ApiServices } from "../context";
import { appRouter } from "../root";
import { handleExport } from "./export-route";
import { handleImage } from "./image-route";
import { handleCheckpoint, handleModelFile, handlePublishModel } from "./trainer-routes";
import { sendJson } from "./respond";
import { handleTrainingImages } from "./training-images-route";
import { handleUploadFiles } from "./upload-route";

/** The most calls one batched tRPC request may carry (the web client's httpBatchLink uses the same). */
export const TRPC_MAX_BATCH = 50;

export type ApiHttpHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

function isSecure(req: IncomingMessage): boolean {
  return (req.socket as { encrypted?: boolean }).encrypted === true || req.headers["x-forwarded-proto"] === "https";
}

/**
 * The caller's address: the socket's peer, or, behind a reverse proxy that the operator vouches for
 * (FEWLABEL_TRUST_PROXY=1), the address that proxy appended last to X-Forwarded-For (earlier entries are the
 * client's to forge).
 */
function clientAddress(req: IncomingMessage): string | null {
  const forwarded = req.headers["x-forwarded-for"];
  if (process.env.FEWLABEL_TRUST_PROXY === "1" && typeof forwarded === "string") {
    const last = forwarded.split(",").at(-1)?.trim();
    if (last) return last;
  }
  return req.socket.remoteAddress ?? null;
}

/** Returns a handler that serves /api/* and answers false for every other path. */
export function createApiHttpHandler(services: ApiServices): ApiHttpHandler {
  return async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (!url.pathname.startsWith("/api/")) return false;
    // For load balancers and container healthchecks: no session, no data, only whether the database answers.
    if (url.pathname === "/api/health" && (req.method === "GET" || req.method === "HEAD")) {
      const ok = await services.db.$queryRaw`SELECT 1`.then(
        () => true,
        () => false,
      );
      sendJson(res, ok ? 200 : 503, ok ? { ok: true } : { ok: false, error: "The database does not answer." });
      return true;
    }

    if (isCrossSiteRequest(req.method ?? "GET", req.headers as Record<string, string | undefined>)) {
      sendJson(res, 403, { error: "Cross-site request refused." });
      return true;
    }
    const session = await resolveSession(services.db, readCookie(req.headers.cookie, SESSION_COOKIE));
    // Trainers (apps/trainer) authenticate with a bearer token instead of a session cookie.
    const bearer = readBearerToken(req.headers.authorization);
    // An unknown or revoked token resolves to no trainer: its calls fail as unauthenticated.
    const trainer = bearer ? await resolveTrainerToken(services.db, bearer) : null;

    if (url.pathname.startsWith("/api/trpc/")) {
      await nodeHTTPRequestHandler({
        router: appRouter,
        req,
        res,
        path: url.pathname.slice("/api/trpc/".length),
        maxBodySize: 1024 * 1024,
        // One request, one handful of calls: the UI batches what a page asks at once (its link sends at most this).
        maxBatchSize: TRPC_MAX_BATCH,
        createContext: (): ApiContext => ({
          ...services,
          session,
          trainer,
          clientAddress: clientAddress(req),
          setSessionCookie: (token, expiresAt) => {
            res.appendHeader("set-cookie", sessionCookie(token, { secure: isSecure(req), expiresAt }));
          },
        }),
        onError: ({ error, path }) => {
          if (error.code === "INTERNAL_SERVER_ERROR") console.error(`fewlabel: tRPC ${path} failed`, error.cause ?? error);
        },
      });
      return true;
    }

    let m: RegExpMatchArray | null;
    if (req.method === "POST" && (m = url.pathname.match(/^\/api\/uploads\/([^/]+)\/files$/))) {
      await handleUploadFiles(req, res, services, session, m[1]!);
    } else if ((req.method === "GET" || req.method === "HEAD") && (m = url.pathname.match(/^\/api\/images\/([^/]+)\/([a-z]+)$/))) {
      await handleImage(req, res, services, { session, trainer }, m[1]!, m[2]!);
    } else if (req.method === "GET" && (m = url.pathname.match(/^\/api\/projects\/([^/]+)\/export$/))) {
      await handleExport(req, res, services, session, m[1]!, url);
    } else if ((m = url.pathname.match(/^\/api\/trainer\/projects\/([^/]+)\/checkpoints\/([^/]+)$/)) && ["GET", "PUT", "DELETE"].includes(req.method ?? "")) {
      await handleCheckpoint(req, res, services, { session, trainer }, m[1]!, m[2]!);
    } else if (req.method === "POST" && (m = url.pathname.match(/^\/api\/trainer\/projects\/([^/]+)\/training-images$/))) {
      await handleTrainingImages(req, res, services, { session, trainer }, m[1]!);
    } else if (req.method === "POST" && (m = url.pathname.match(/^\/api\/trainer\/projects\/([^/]+)\/models$/))) {
      await handlePublishModel(req, res, services, { session, trainer }, m[1]!);
    } else if ((req.method === "GET" || req.method === "HEAD") && (m = url.pathname.match(/^\/api\/models\/([^/]+)\/([a-z]+)\.zip$/))) {
      await handleModelFile(req, res, services, { session, trainer }, m[1]!, m[2]!, `${m[2]!}.zip`);
    } else if ((req.method === "GET" || req.method === "HEAD") && (m = url.pathname.match(/^\/api\/models\/([^/]+)\/([a-z]+)\/([^/]+)$/))) {
      await handleModelFile(req, res, services, { session, trainer }, m[1]!, m[2]!, m[3]!);
    } else {
      sendJson(res, 404, { error: "No such API route." });
    }
    return true;
  };
}
