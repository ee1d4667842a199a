// Starts a real fewlabel HTTP server (api only, no Next.js) on a fresh database and talks to it like a browser would:
// real HTTP, a cookie jar per user, the real tRPC client.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { AppRouter } from "@fewlabel/api";
import { openTestDatabase, type TestDatabaseKind } from "@fewlabel/db/testing";
import type { VectorSearchSetting } from "@fewlabel/db";
import { type ImageStore, LocalImageStore } from "@fewlabel/storage";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import superjson from "superjson";
import { createFewlabelServer, type FewlabelServer } from "../src/server/create-server";

export interface TestServer {
  baseUrl: string;
  web: FewlabelServer;
  close(): Promise<void>;
  db: Awaited<ReturnType<typeof openTestDatabase>>;
  /** The image store's folder (what the server wrote, for tests that check nothing was left). */
  storeDir: string;
}

/** A server on a fresh database, or on `shared` (another instance's database, for multi-instance tests). */
export async function startTestServer(
  kind: TestDatabaseKind,
  opts: {
    redisUrl?: string;
    shared?: TestServer;
    trainingCopySide?: number;
    /** Use (and keep) this image store folder. */
    storeDir?: string;
    /** Another image store (an S3 bucket) instead of a folder; storeDir then stays empty. */
    store?: ImageStore;
    serviceTrainerToken?: string;
    /** Where "more like this" searches (FEWLABEL_VECTOR_SEARCH); auto by default, as in the product. */
    vectorSearch?: VectorSearchSetting;
  } = {},
): Promise<TestServer> {
  const db = opts.shared?.db ?? (await openTestDatabase(kind, { vectorSearch: opts.vectorSearch }));
  const storeDir = opts.storeDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "fewlabel-store-"));
  const web = await createFewlabelServer({
    db: db.prisma,
    store: opts.store ?? new LocalImageStore(storeDir),
    redisUrl: opts.redisUrl,
    trainingCopySide: opts.trainingCopySide,
    serviceTrainerToken: opts.serviceTrainerToken,
  });
  const address = await web.listen(0, "127.0.0.1");
  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    web,
    db,
    storeDir,
    async close() {
      await web.close();
      if (!opts.shared) await db.close();
      if (!opts.storeDir) fs.rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

/** A browser-like client: keeps its session cookie and sends same-origin headers. */
export class TestUser {
  cookie = "";
  readonly trpc;
  constructor(readonly baseUrl: string) {
    this.trpc = createTRPCClient<AppRouter>({
      links: [httpLink({ url: `${baseUrl}/api/trpc`, transformer: superjson, fetch: (url, init) => this.fetch(String(url), init as RequestInit) })],
    });
  }

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookie) headers.set("cookie", this.cookie);
    const res = await fetch(url.startsWith("http") ? url : `${this.baseUrl}${url}`, { ...init, headers });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      this.cookie = /Max-Age=0/.test(c) ? "" : pair!;
    }
    return res;
  }

  static async signUp(baseUrl: string, email: string, name = email.split("@")[0]!): Promise<TestUser> {
    const u = new TestUser(baseUrl);
    await u.trpc.auth.signUp.mutate({ email, name, password: "correct horse battery" });
    return u;
  }

  /** Sends files to an upload the way the browser does; returns the final NDJSON line. */
  async uploadFiles(uploadId: string, files: { path: string; data: Buffer }[]) {
    const form = new FormData();
    for (const f of files) form.append("file", new Blob([new Uint8Array(f.data)]), f.path);
    const res = await this.fetch(`/api/uploads/${uploadId}/files`, { method: "POST", body: form });
    const text = await res.text();
    if (!res.ok) return { status: res.status, body: JSON.parse(text) as { error: string } };
    const lines = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    return { status: res.status, body: lines[lines.length - 1], lines };
  }
}

export async function trpcErrorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (err) {
    if (err instanceof TRPCClientError) return String(err.data?.code);
    throw err;
  }
}
