// The app's one socket.io connection and the project rooms it has joined. It keeps, per project, the last event
// sequence number it has applied, so that after a dropped connection (socket.io reconnects by itself) or a gap in
// the stream it asks the server for exactly what it missed (`project:join` with `sinceSeq`) instead of reloading.
// It knows nothing about React or the query cache: listeners receive events in seq order, once each.
import type {
  Ack,
  ClaimRequest,
  ClaimResult,
  ClientToServerEvents,
  JoinResult,
  LabelManyRequest,
  HoldResult,
  LabelManyResult,
  LabelRequest,
  LabelResult,
  PresenceEntry,
  ProjectEvent,
  ServerToClientEvents,
  UndoResult,
} from "@fewlabel/realtime";
import { io, type Socket } from "socket.io-client";

export type ConnectionState = "connecting" | "live" | "reconnecting" | "signed-out";

export interface ConnectionStatus {
  state: ConnectionState;
  /** Labels sent but not yet acknowledged (they are retried until the server has them). */
  unsynced: number;
}

export interface ProjectListener {
  /** New events in seq order, each delivered once. */
  events(events: ProjectEvent[]): void;
  /** Too much was missed to replay (or this is the first join): everything of the project must be refetched. */
  resync(): void;
  presence(entries: PresenceEntry[]): void;
  joined?(result: JoinResult): void;
  failed?(message: string): void;
}

interface Room {
  projectId: string;
  listeners: Set<ProjectListener>;
  /** Highest seq applied; null until the first join answered. */
  lastSeq: number | null;
  /** Bumped by every (re)join; a join answer from an older attempt is ignored. */
  attempt: number;
  syncing: boolean;
  /** In the server's room: set by a join's answer, cleared when the connection drops. */
  joined: boolean;
  /** Events that arrived while a join was in flight, or after a gap; delivered in order once possible. */
  pending: ProjectEvent[];
  gapTimer: ReturnType<typeof setTimeout> | null;
  leaveTimer: ReturnType<typeof setTimeout> | null;
  presence: Map<string, PresenceEntry>;
  /** The latest delivered events, for undoing a bulk change precisely (see recentEvents). */
  recent: ProjectEvent[];
}

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** How long a request may wait for its acknowledgement. */
const ackTimeoutMs = 10_000;
/** How long a missing seq may be awaited before asking for a catch-up (events of concurrent writers can cross). */
const gapWaitMs = 150;
/**
 * presence:viewing both tells the others what I look at and keeps my leases alive: it is repeated well within the
 * project's lease time (default 2 minutes, at least 15 s), and at least every 25 s.
 */
const heartbeatMaxMs = 25_000;
const heartbeatTickMs = 2_500;
/** Leaving a room waits a moment: moving between the grid and the labelling view should not leave and rejoin. */
const leaveDelayMs = 5_000;

let socket: ClientSocket | null = null;
const rooms = new Map<string, Room>();
let status: ConnectionStatus = { state: "connecting", unsynced: 0 };
const statusListeners = new Set<() => void>();
let heartbeat: ReturnType<typeof setInterval> | null = null;
let everConnected = false;
/** The image each project's page shows; kept apart from rooms so a page may say it before the room is joined. */
const viewing = new Map<string, string | null>();
const lastViewingSent = new Map<string, number>();
/** Each project's lease time, for how often leases must be renewed (see heartbeatMaxMs). */
const leaseSeconds = new Map<string, number>();

function sendViewing(projectId: string) {
  lastViewingSent.set(projectId, Date.now());
  socket?.emit("presence:viewing", { projectId, imageId: viewing.get(projectId) ?? null });
}

function setStatus(next: Partial<ConnectionStatus>) {
  status = { ...status, ...next };
  for (const l of statusListeners) l();
}

export function connectionStatus(): ConnectionStatus {
  return status;
}

export function subscribeStatus(listener: () => void): () => void {
  statusListeners.add(listener);
  return () => statusListeners.delete(listener);
}

export class RealtimeError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "RealtimeError";
  }
}

function ensureSocket(): ClientSocket {
  if (socket) return socket;
  // Same origin: the web server hosts socket.io and reads the session cookie from the handshake.
  const s: ClientSocket = io({ autoConnect: true, reconnectionDelayMax: 3_000 });
  socket = s;
  s.on("connect", () => {
    everConnected = true;
    setStatus({ state: "live" });
    for (const room of rooms.values()) if (room.listeners.size > 0) void join(room);
  });
  s.on("disconnect", (reason) => {
    for (const room of rooms.values()) room.joined = false;
    setStatus({ state: "reconnecting" });
    // A disconnect the server asked for is not retried by socket.io; we still want to come back.
    if (reason === "io server disconnect") setTimeout(() => s.connect(), 1_000);
  });
  s.on("connect_error", (err) => {
    if (/unauthenticated/.test(err.message)) {
      setStatus({ state: "signed-out" });
      // Middleware refusals are not retried automatically; the session may come back (signed in again elsewhere).
      setTimeout(() => !s.connected && s.connect(), 5_000);
    } else setStatus({ state: everConnected ? "reconnecting" : "connecting" });
  });
  s.on("project:events", (events) => {
    const byProject = new Map<string, ProjectEvent[]>();
    for (const e of events) byProject.set(e.projectId, [...(byProject.get(e.projectId) ?? []), e]);
    for (const [projectId, list] of byProject) {
      const room = rooms.get(projectId);
      if (room) receive(room, list);
    }
  });
  // Progress ticks are not numbered: straight to the page, outside the ordered stream (and not kept in `recent`).
  s.on("project:progress", (events) => {
    for (const e of events) {
      const room = rooms.get(e.projectId);
      if (room && room.lastSeq !== null) for (const l of room.listeners) l.events([e]);
    }
  });
  s.on("presence:update", ({ projectId, entry }) => {
    const room = rooms.get(projectId);
    if (!room) return;
    const known = room.presence.get(entry.userId);
    // Heartbeats repeat unchanged entries: only changes reach the pages.
    if (entry.connections > 0 ? known && known.imageId === entry.imageId && known.name === entry.name && known.connections === entry.connections : !known) return;
    if (entry.connections > 0) room.presence.set(entry.userId, entry);
    else room.presence.delete(entry.userId);
    publishPresence(room);
  });
  heartbeat = setInterval(() => {
    if (!s.connected) return;
    const now = Date.now();
    for (const room of rooms.values()) {
      if (room.listeners.size === 0 || room.lastSeq === null) continue;
      const every = Math.min(heartbeatMaxMs, ((leaseSeconds.get(room.projectId) ?? 120) * 1000) / 3);
      if (now - (lastViewingSent.get(room.projectId) ?? 0) >= every) sendViewing(room.projectId);
    }
  }, heartbeatTickMs);
  return s;
}

function publishPresence(room: Room) {
  const entries = [...room.presence.values()];
  for (const l of room.listeners) l.presence(entries);
}

/** Sends a request and waits for its acknowledgement; a refusal comes back as `{ ok: false, error }`. */
async function request<R>(send: (s: ClientSocket) => Promise<Ack<R>>): Promise<Ack<R>> {
  try {
    return await send(ensureSocket().timeout(ackTimeoutMs) as unknown as ClientSocket);
  } catch {
    throw new RealtimeError("timeout", "The server did not answer in time. Check your connection.");
  }
}

const recentLimit = 2_000;

function deliver(room: Room, events: ProjectEvent[]) {
  if (events.length === 0) return;
  room.recent.push(...events);
  if (room.recent.length > recentLimit) room.recent.splice(0, room.recent.length - recentLimit);
  for (const l of room.listeners) l.events(events);
}

/** Applies what can be applied in order; holds the rest and, if the missing seq does not show up, catches up. */
function receive(room: Room, incoming: ProjectEvent[]) {
  room.pending.push(...incoming);
  // Between one page leaving and the next arriving (room kept joined for a moment), events wait for a listener.
  if (room.syncing || room.lastSeq === null || room.listeners.size === 0) return;
  drain(room);
}

function drain(room: Room) {
  if (room.lastSeq === null) return;
  room.pending.sort((a, b) => a.seq - b.seq);
  const ready: ProjectEvent[] = [];
  let i = 0;
  for (; i < room.pending.length; i++) {
    const e = room.pending[i]!;
    if (e.seq <= room.lastSeq) continue;
    if (e.seq !== room.lastSeq + 1) break;
    ready.push(e);
    room.lastSeq = e.seq;
  }
  room.pending = room.pending.slice(i);
  deliver(room, ready);
  if (room.gapTimer) clearTimeout(room.gapTimer);
  room.gapTimer = null;
  if (room.pending.length > 0) {
    room.gapTimer = setTimeout(() => {
      room.gapTimer = null;
      if (room.pending.length > 0) void join(room);
    }, gapWaitMs);
  }
}

/** (Re)joins the room, replaying everything after the last applied seq. */
async function join(room: Room): Promise<void> {
  const s = ensureSocket();
  if (!s.connected) return; // the "connect" handler joins again
  const attempt = ++room.attempt;
  room.syncing = true;
  let result: Ack<JoinResult>;
  try {
    result = await request<JoinResult>((t) => t.emitWithAck("project:join", { projectId: room.projectId, sinceSeq: room.lastSeq }));
  } catch (err) {
    if (attempt !== room.attempt) return;
    room.syncing = false;
    // Try again while connected; a reconnect will also try again.
    setTimeout(() => room.listeners.size > 0 && s.connected && attempt === room.attempt && void join(room), 2_000);
    for (const l of room.listeners) l.failed?.((err as Error).message);
    return;
  }
  if (attempt !== room.attempt) return;
  room.syncing = false;
  room.joined = result.ok;
  if (!result.ok) {
    for (const l of room.listeners) l.failed?.(result.error);
    return;
  }
  room.presence = new Map(result.presence.filter((p) => p.connections > 0).map((p) => [p.userId, p]));
  for (const l of room.listeners) l.joined?.(result);
  publishPresence(room);
  if (room.lastSeq === null || result.reset) {
    // What the page fetched before the room was joined may predate events nobody will replay: fetch it again.
    room.lastSeq = result.seq;
    for (const l of room.listeners) l.resync();
  } else {
    room.pending.push(...result.events);
  }
  drain(room);
  // Everything up to result.seq has been replayed: a seq the replay lacked was never committed, so stop waiting on it.
  if (room.lastSeq !== null && room.lastSeq < result.seq) {
    room.lastSeq = result.seq;
    drain(room);
  }
  sendViewing(room.projectId);
}

/** Joins a project's room for as long as the returned function is not called. */
export function watchProject(projectId: string, listener: ProjectListener): () => void {
  ensureSocket();
  let room = rooms.get(projectId);
  if (!room) {
    room = { projectId, listeners: new Set(), lastSeq: null, attempt: 0, syncing: false, joined: false, pending: [], gapTimer: null, leaveTimer: null, presence: new Map(), recent: [] };
    rooms.set(projectId, room);
  }
  const r = room;
  if (r.leaveTimer) clearTimeout(r.leaveTimer);
  r.leaveTimer = null;
  r.listeners.add(listener);
  if (!r.joined && !r.syncing) void join(r);
  else if (r.joined) {
    listener.presence([...r.presence.values()]);
    drain(r);
  }
  return () => {
    r.listeners.delete(listener);
    if (r.listeners.size > 0) return;
    r.leaveTimer = setTimeout(() => {
      if (r.listeners.size > 0) return;
      socket?.emit("project:leave", { projectId });
      if (r.gapTimer) clearTimeout(r.gapTimer);
      rooms.delete(projectId);
    }, leaveDelayMs);
  };
}

/** Tells the others which image I am looking at (null: none); also keeps my leases in the project alive. */
export function setViewing(projectId: string, imageId: string | null) {
  if ((viewing.get(projectId) ?? null) === imageId) return;
  viewing.set(projectId, imageId);
  const room = rooms.get(projectId);
  if (room && socket?.connected && room.lastSeq !== null) sendViewing(projectId);
}

/** The project's lease time: claimed images are kept alive by repeating presence:viewing well within it. */
export function setLeaseSeconds(projectId: string, seconds: number) {
  leaseSeconds.set(projectId, seconds);
}

/** Delivered events of a project with seq in [fromSeq, toSeq] (only the latest couple of thousand are kept). */
export function recentEvents(projectId: string, fromSeq: number, toSeq: number): ProjectEvent[] {
  return (rooms.get(projectId)?.recent ?? []).filter((e) => e.seq >= fromSeq && e.seq <= toSeq);
}

/** Closes the connection (signing out): the next watchProject opens a new one with the new session. */
export function disconnectRealtime() {
  if (heartbeat) clearInterval(heartbeat);
  heartbeat = null;
  socket?.disconnect();
  socket = null;
  everConnected = false;
  for (const room of rooms.values()) if (room.gapTimer) clearTimeout(room.gapTimer);
  rooms.clear();
  viewing.clear();
  lastViewingSent.clear();
  setStatus({ state: "connecting", unsynced: 0 });
}

// ---- requests ----

function unwrap<R>(ack: Ack<R>): R {
  if (!ack.ok) throw new RealtimeError(ack.code, ack.error);
  return ack;
}

export async function claimImage(req: ClaimRequest): Promise<ClaimResult> {
  return unwrap(await request<ClaimResult>((s) => s.emitWithAck("image:claim", req)));
}

export function releaseImage(projectId: string, imageId: string) {
  socket?.emit("image:release", { projectId, imageId });
}

/**
 * Sends a request that carries its own client id until the server has it: it is retried after timeouts and across
 * reconnects, and the server applies it once however often it arrives, so a label is never lost nor doubled.
 */
async function sendUntilAcknowledged<R>(send: (s: ClientSocket) => Promise<Ack<R>>): Promise<R> {
  setStatus({ unsynced: status.unsynced + 1 });
  try {
    for (let attempt = 0; ; attempt++) {
      const s = ensureSocket();
      if (!s.connected) await new Promise<void>((resolve) => s.once("connect", () => resolve()));
      try {
        return unwrap(await request<R>(send));
      } catch (err) {
        if (!(err instanceof RealtimeError) || err.code !== "timeout") throw err;
        await new Promise((r) => setTimeout(r, Math.min(5_000, 500 * 2 ** attempt)));
      }
    }
  } finally {
    setStatus({ unsynced: status.unsynced - 1 });
  }
}

/** Stores one vote (idempotent by clientLabelId). */
export function sendLabel(req: LabelRequest): Promise<LabelResult> {
  return sendUntilAcknowledged<LabelResult>((t) => t.emitWithAck("label:set", req));
}

/** The same vote on up to 500 images (idempotent by clientLabelId). */
export function sendLabels(req: LabelManyRequest): Promise<LabelManyResult> {
  return sendUntilAcknowledged<LabelManyResult>((t) => t.emitWithAck("label:setMany", req));
}

/**
 * Requests that must not be repeated (applying them twice is not the same as once) are refused while offline
 * instead of being queued: socket.io would send a queued one on reconnect, after the caller had given up on it.
 */
function requireConnection() {
  if (!ensureSocket().connected) throw new RealtimeError("offline", "Not connected to the server: try again when the connection is back.");
}

/** Leases images already on screen to me again (after a reconnect); answers which ones I now hold. */
export async function holdImages(projectId: string, imageIds: string[]): Promise<HoldResult> {
  return unwrap(await request<HoldResult>((s) => s.emitWithAck("image:hold", { projectId, imageIds })));
}

export async function undoMyLast(projectId: string): Promise<UndoResult> {
  requireConnection();
  return unwrap(await request<UndoResult>((s) => s.emitWithAck("label:undo", { projectId })));
}

/** A v4 UUID (crypto.randomUUID exists only in secure contexts; a LAN address over http is not one). */
export function newClientId(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
