// Live collaboration over socket.io, in the same process as the web server: authenticated by the session cookie,
// one room per project, every incoming event validated (packages/realtime contracts) and authorized
// (requireProjectAccess) before it touches anything. With REDIS_URL, the Redis adapter lets several web instances
// share rooms and presence.
import type http from "node:http";
import {
  AccessError,
  type Broadcaster,
  claimNextImage,
  eventsSince,
  isForeignOrigin,
  LabellingError,
  type Permission,
  purgeExpiredLeases,
  readCookie,
  releaseLeases,
  renewLeases,
  requireProjectAccess,
  resolveSession,
  SESSION_COOKIE,
  LabelWriter,
  setLabels,
  holdImages,
  undoLast,
} from "@fewlabel/api";
import type { PrismaClient } from "@fewlabel/db";
import {
  type Ack,
  claimRequest,
  holdRequest,
  type ClientToServerEvents,
  type Failure,
  joinRequest,
  labelManyRequest,
  labelRequest,
  type PresenceEntry,
  type ProjectEvent,
  projectRequest,
  projectRoom,
  releaseRequest,
  type ServerToClientEvents,
  undoRequest,
  viewingRequest,
} from "@fewlabel/realtime";
import { Server, type Socket } from "socket.io";
import { ZodError, type ZodType } from "zod";

interface SocketData {
  user: { id: string; name: string; email: string };
  sessionToken: string;
  /** The session row, for the room a sign-out closes. */
  sessionId: string;
  /** projectId -> image the user is looking at. */
  viewing: Record<string, string | null>;
  /** Images this connection holds leases on, released when it closes. */
  leases: Set<string>;
}

type IoServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type IoSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

// Rooms a socket is put in when it connects; socket.io's adapter reaches them on every instance.
const userRoom = (userId: string) => `user:${userId}`;
/** Browser tabs of one account on one instance (each tab holds one socket). */
export const MAX_SOCKETS_PER_USER = 32;
const sessionRoom = (sessionId: string) => `session:${sessionId}`;

export interface RealtimeOptions {
  db: PrismaClient;
  redisUrl?: string;
}

export interface Realtime extends Broadcaster {
  io: IoServer;
  close(): Promise<void>;
}

function failure(err: unknown): Failure {
  if (err instanceof ZodError) return { ok: false, code: "bad_request", error: `Malformed request: ${err.issues.map((i) => `${i.path.join(".") || "payload"}: ${i.message}`).join("; ")}` };
  if (err instanceof AccessError) return { ok: false, code: err.failure, error: err.message };
  if (err instanceof LabellingError) return { ok: false, code: err.code, error: err.message };
  console.error("fewlabel: realtime handler failed", err);
  return { ok: false, code: "internal", error: "The server failed to apply this change; nothing was changed." };
}

export async function attachRealtime(server: http.Server, options: RealtimeOptions): Promise<Realtime> {
  const { db } = options;
  const io: IoServer = new Server(server, {
    serveClient: false,
    // Same-origin only: the browser app is served by this very server.
    allowRequest: (req, callback) => callback(null, !isForeignOrigin(req.headers as Record<string, string | undefined>)),
    connectionStateRecovery: undefined,
  });

  let closeRedis: (() => Promise<void>) | undefined;
  if (options.redisUrl) {
    const [{ createAdapter }, { createClient }] = await Promise.all([import("@socket.io/redis-adapter"), import("redis")]);
    const pub = createClient({ url: options.redisUrl });
    const sub = pub.duplicate();
    await Promise.all([pub.connect(), sub.connect()]);
    // The adapter answers other instances' requests (fetchSockets for presence) asynchronously; one that arrives as
    // this server shuts down would be answered through a publisher already quit, an unhandled rejection inside the
    // adapter (seen in the scale-out test and bench:soak). Once closing, such publishes are dropped.
    let quitting = false;
    const publish = pub.publish.bind(pub);
    Object.defineProperty(pub, "publish", {
      configurable: true,
      writable: true,
      value: (...args: Parameters<typeof publish>) => (quitting ? Promise.resolve(0) : publish(...args).catch((err: unknown) => (quitting ? 0 : Promise.reject(err)))),
    });
    io.adapter(createAdapter(pub, sub));
    closeRedis = async () => {
      quitting = true;
      await sub.quit().catch(() => undefined);
      await pub.quit().catch(() => undefined);
    };
  }

  // Open connections per account on this instance: one account cannot hold the server's sockets.
  const openByUser = new Map<string, number>();
  io.use(async (socket, next) => {
    const token = readCookie(socket.request.headers.cookie, SESSION_COOKIE);
    const session = await resolveSession(db, token).catch(() => null);
    if (!session || !token) return next(new Error("unauthenticated: sign in first"));
    if ((openByUser.get(session.user.id) ?? 0) >= MAX_SOCKETS_PER_USER) return next(new Error(`too many connections: at most ${MAX_SOCKETS_PER_USER} open tabs per account`));
    socket.data.user = { id: session.user.id, name: session.user.name, email: session.user.email };
    socket.data.sessionToken = token;
    socket.data.sessionId = session.sessionId;
    socket.data.viewing = {};
    socket.data.leases = new Set();
    next();
  });

  // A short cache of access checks per connection: every event is authorized, but a burst of labels need not
  // re-read the membership each time. Removal from a project takes effect within ACCESS_TTL_MS.
  const ACCESS_TTL_MS = 5_000;
  const accessCache = new WeakMap<IoSocket, Map<string, { at: number; role: string; leaseSeconds: number }>>();
  async function authorize(socket: IoSocket, projectId: string, permission: Permission) {
    const cache = accessCache.get(socket) ?? new Map();
    accessCache.set(socket, cache);
    const key = `${projectId}:${permission}`;
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < ACCESS_TTL_MS) return hit;
    const session = await resolveSession(db, socket.data.sessionToken);
    const access = await requireProjectAccess(db, session, projectId, permission);
    const project = await db.project.findUniqueOrThrow({ where: { id: projectId }, select: { leaseSeconds: true } });
    const entry = { at: Date.now(), role: access.role, leaseSeconds: project.leaseSeconds };
    cache.set(key, entry);
    return entry;
  }

  /** One message per project per batch: a burst of labels costs each client one frame, not one per label. */
  const publish = (events: readonly ProjectEvent[]) => {
    const byProject = new Map<string, ProjectEvent[]>();
    for (const e of events) byProject.set(e.projectId, [...(byProject.get(e.projectId) ?? []), e]);
    for (const [projectId, list] of byProject) io.to(projectRoom(projectId)).emit("project:events", list);
  };
  const publishTransient = (events: readonly ProjectEvent[]) => {
    for (const e of events) io.to(projectRoom(e.projectId)).emit("project:progress", [e]);
  };
  const writer = new LabelWriter(db, publish);

  async function presenceOf(projectId: string, userId: string): Promise<PresenceEntry | null> {
    const sockets = (await io.in(projectRoom(projectId)).fetchSockets()).filter((s) => s.data.user?.id === userId);
    if (sockets.length === 0) return null;
    const viewing = sockets.map((s) => s.data.viewing?.[projectId] ?? null).find((v) => v !== null) ?? null;
    return { userId, name: sockets[0]!.data.user.name, imageId: viewing, connections: sockets.length };
  }

  // Set while shutting down: disconnect handlers must not publish through a Redis client that is closing.
  let closing = false;

  /** Best effort: presence is repeated by heartbeats, so a failed announcement is dropped, never thrown. */
  async function announcePresence(projectId: string, user: { id: string; name: string }) {
    if (closing) return;
    let entry: PresenceEntry | null;
    try {
      entry = await presenceOf(projectId, user.id);
    } catch {
      return; // e.g. fetchSockets timed out waiting on another server
    }
    // Again: shutdown may have begun while fetchSockets asked the other servers (the Redis adapter publishes
    // without catching, so a publish on a quit client would be an unhandled rejection).
    if (closing) return;
    io.to(projectRoom(projectId)).emit("presence:update", { projectId, entry: entry ?? { userId: user.id, name: user.name, imageId: null, connections: 0 } });
  }

  /** Wraps a handler: validates the payload, runs it, and always answers the ack (success or a readable error). */
  function handle<S extends ZodType, R extends object>(_socket: IoSocket, schema: S, fn: (input: S["_output"]) => Promise<R>) {
    return async (raw: unknown, ack?: (r: Ack<R>) => void) => {
      const reply = typeof ack === "function" ? ack : () => {};
      try {
        const input = schema.parse(raw);
        reply({ ok: true, ...(await fn(input)) } as Ack<R>);
      } catch (err) {
        reply(failure(err));
      }
    };
  }

  io.on("connection", (socket: IoSocket) => {
    const user = socket.data.user;
    openByUser.set(user.id, (openByUser.get(user.id) ?? 0) + 1);
    socket.once("disconnect", () => {
      const left = (openByUser.get(user.id) ?? 1) - 1;
      if (left > 0) openByUser.set(user.id, left);
      else openByUser.delete(user.id);
    });
    // Rooms by user and by session, so that a removal or a sign-out reaches these sockets on every instance.
    void socket.join([userRoom(user.id), sessionRoom(socket.data.sessionId)]);
    const labeller = (projectId: string) => ({ projectId, actor: { id: user.id, name: user.name } });

    socket.on(
      "project:join",
      handle(socket, joinRequest, async ({ projectId, sinceSeq }) => {
        // Joining reads the membership afresh: a member removed a moment ago must not rejoin from the cache.
        accessCache.get(socket)?.delete(`${projectId}:viewProject`);
        const { role } = await authorize(socket, projectId, "viewProject");
        await socket.join(projectRoom(projectId));
        const replay = await eventsSince(db, projectId, sinceSeq ?? Number.MAX_SAFE_INTEGER);
        const sockets = await io.in(projectRoom(projectId)).fetchSockets();
        const byUser = new Map<string, PresenceEntry>();
        for (const s of sockets) {
          const u = s.data.user;
          const e = byUser.get(u.id) ?? { userId: u.id, name: u.name, imageId: null, connections: 0 };
          e.connections++;
          e.imageId ??= s.data.viewing?.[projectId] ?? null;
          byUser.set(u.id, e);
        }
        void announcePresence(projectId, user);
        return {
          seq: replay.seq,
          role: role as "OWNER" | "REVIEWER" | "ANNOTATOR",
          events: sinceSeq === null ? [] : replay.events,
          reset: sinceSeq !== null && replay.reset,
          presence: [...byUser.values()],
        };
      }),
    );

    socket.on(
      "project:leave",
      handle(socket, projectRequest, async ({ projectId }) => {
        await socket.leave(projectRoom(projectId));
        delete socket.data.viewing[projectId];
        void announcePresence(projectId, user);
        return {};
      }),
    );

    socket.on(
      "image:claim",
      handle(socket, claimRequest, async ({ projectId, skip }) => {
        await authorize(socket, projectId, "label");
        const result = await claimNextImage(db, labeller(projectId), skip);
        if (result.image) socket.data.leases.add(result.image.id);
        return result;
      }),
    );

    socket.on(
      "image:release",
      handle(socket, releaseRequest, async ({ projectId, imageId }) => {
        await authorize(socket, projectId, "label");
        await releaseLeases(db, user.id, [imageId]);
        socket.data.leases.delete(imageId);
        return {};
      }),
    );

    socket.on(
      "image:hold",
      handle(socket, holdRequest, async ({ projectId, imageIds }) => {
        await authorize(socket, projectId, "label");
        const result = await holdImages(db, labeller(projectId), imageIds);
        for (const id of result.held) socket.data.leases.add(id);
        return result;
      }),
    );

    socket.on(
      "label:set",
      handle(socket, labelRequest, async (req) => {
        await authorize(socket, req.projectId, "label");
        const r = await writer.submit(labeller(req.projectId), req);
        socket.data.leases.delete(req.imageId);
        return r;
      }),
    );

    socket.on(
      "label:setMany",
      handle(socket, labelManyRequest, async (req) => {
        await authorize(socket, req.projectId, "label");
        const { events, seq, count, duplicate } = await setLabels(db, labeller(req.projectId), req.imageIds, req.classId, req.clientLabelId);
        publish(events);
        for (const imageId of req.imageIds) socket.data.leases.delete(imageId);
        return { seq, count, duplicate };
      }),
    );

    socket.on(
      "label:undo",
      handle(socket, undoRequest, async ({ projectId }) => {
        await authorize(socket, projectId, "label");
        const r = await undoLast(db, labeller(projectId));
        publish(r.events);
        // A withdrawn vote puts the image back on the annotator's screen: lease it to them again while they decide.
        if (r.classId === null) {
          const { held } = await holdImages(db, labeller(projectId), [r.imageId]);
          for (const id of held) socket.data.leases.add(id);
        }
        return { seq: r.events[0]?.seq ?? 0, imageId: r.imageId, classId: r.classId };
      }),
    );

    socket.on("presence:viewing", async (raw) => {
      const parsed = viewingRequest.safeParse(raw);
      if (!parsed.success || !socket.rooms.has(projectRoom(parsed.data.projectId))) return;
      socket.data.viewing[parsed.data.projectId] = parsed.data.imageId;
      try {
        const { leaseSeconds } = await authorize(socket, parsed.data.projectId, "viewProject");
        await renewLeases(db, parsed.data.projectId, user.id, leaseSeconds);
      } catch {
        return;
      }
      void announcePresence(parsed.data.projectId, user);
    });

    socket.on("disconnecting", () => {
      const projects = [...socket.rooms].filter((r) => r.startsWith("project:")).map((r) => r.slice("project:".length));
      const leases = [...socket.data.leases];
      // After the socket has left its rooms, tell the others (presence counts this connection no more).
      setImmediate(() => {
        void releaseLeases(db, user.id, leases).catch(() => {});
        for (const p of projects) void announcePresence(p, user).catch(() => {});
      });
    });
  });

  const purge = setInterval(() => void purgeExpiredLeases(db).catch(() => {}), 30_000);
  purge.unref();

  return {
    io,
    publish,
    publishTransient,
    leaveProject: (projectId: string, userId: string) => io.in(userRoom(userId)).socketsLeave(projectRoom(projectId)),
    endSession: (sessionId: string) => io.in(sessionRoom(sessionId)).disconnectSockets(true),
    async close() {
      closing = true;
      clearInterval(purge);
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await closeRedis?.();
    },
  };
}
