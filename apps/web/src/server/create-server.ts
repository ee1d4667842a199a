// The one Node HTTP server of a fewlabel web instance: /api/* goes to the api package, /socket.io/ to the realtime
// layer, everything else to Next.js (when given). Tests start it without Next to exercise the api and the sockets
// from the outside, over real HTTP and real socket.io.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { type Broadcaster, createApiHttpHandler } from "@fewlabel/api";
import type { PrismaClient } from "@fewlabel/db";
import type { ProjectEvent } from "@fewlabel/realtime";
import type { ImageStore } from "@fewlabel/storage";
import { attachRealtime, type Realtime } from "./realtime";

export type PageHandler = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> | void;

export interface FewlabelServerOptions {
  db: PrismaClient;
  store: ImageStore;
  /** Next.js's request handler; without it non-API paths answer 404. */
  pages?: PageHandler;
  /** Redis for socket.io rooms shared by several web instances. */
  redisUrl?: string;
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
  };
  const api = createApiHttpHandler({ db: options.db, store: options.store, broadcaster });
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
  realtime = await attachRealtime(server, { db: options.db, redisUrl: options.redisUrl });
  const live = realtime;
  return {
    server,
    realtime: live,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => resolve(server.address() as AddressInfo));
      }),
    async close() {
      server.closeAllConnections();
      // Closes the socket.io server and the HTTP server under it.
      await live.close();
    },
  };
}
