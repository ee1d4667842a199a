// socket.io clients for tests and the realtime benchmark: each one a signed-in user with their own session cookie.
import type { Ack, ClientToServerEvents, ProjectEvent, ServerToClientEvents } from "@fewlabel/realtime";
import { io, type Socket } from "socket.io-client";

export type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export function connect(baseUrl: string, cookie: string, opts: { origin?: string } = {}): Promise<LiveSocket> {
  const headers: Record<string, string> = { cookie };
  if (opts.origin) headers.origin = opts.origin;
  const socket: LiveSocket = io(baseUrl, { transports: ["websocket"], extraHeaders: headers, reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** Emits an event with an ack and resolves with the server's answer. */
export function call<E extends keyof ClientToServerEvents>(socket: LiveSocket, event: E, payload: unknown): Promise<Ack<Record<string, unknown>> & Record<string, any>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ack for ${event}`)), 15_000);
    (socket.emit as (e: string, p: unknown, ack: (r: any) => void) => void)(event, payload, (r) => {
      clearTimeout(timer);
      resolve(r);
    });
  });
}

/** Collects the transient events (training progress ticks, seq 0) a socket receives. */
export function collectTransient(socket: LiveSocket): ProjectEvent[] {
  const events: ProjectEvent[] = [];
  socket.on("project:progress", (batch) => events.push(...batch));
  return events;
}

/** Collects the project events a socket receives. */
export function collectEvents(socket: LiveSocket): ProjectEvent[] {
  const events: ProjectEvent[] = [];
  socket.on("project:events", (batch) => events.push(...batch));
  return events;
}

export async function waitFor(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!cond()) {
    if (Date.now() - started > timeoutMs) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
