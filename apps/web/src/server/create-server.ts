// The one Node HTTP server of a fewlabel web instance: /api/* goes to the api package, everything else to Next.js
// (when given). Tests start it without Next to exercise the api from the outside over real HTTP.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createApiHttpHandler } from "@fewlabel/api";
import type { PrismaClient } from "@fewlabel/db";
import type { ImageStore } from "@fewlabel/storage";

export type PageHandler = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> | void;

export interface FewlabelServerOptions {
  db: PrismaClient;
  store: ImageStore;
  /** Next.js's request handler; without it non-API paths answer 404. */
  pages?: PageHandler;
}

export function createFewlabelServer(options: FewlabelServerOptions): http.Server {
  const api = createApiHttpHandler({ db: options.db, store: options.store });
  const server = http.createServer((req, res) => {
    res.setHeader("x-frame-options", "DENY");
    res.setHeader("referrer-policy", "same-origin");
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
  // Large uploads over slow links: no overall request timeout, but headers must arrive promptly.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  return server;
}

export function listen(server: http.Server, port: number, host?: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server.address() as AddressInfo));
  });
}
