// The catch-up protocol of the browser's connection, against a fake socket: events reach listeners once each and
// in seq order; a gap that does not fill itself, a reconnect, or a reset make it ask the server for what it missed.
import type { JoinResult, ProjectEvent } from "@fewlabel/realtime";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

type Handler = (...args: unknown[]) => void;

class FakeSocket {
  connected = false;
  handlers = new Map<string, Handler[]>();
  requests: { event: string; payload: unknown; resolve: (r: unknown) => void; reject: (e: Error) => void }[] = [];
  emitted: { event: string; payload: unknown }[] = [];
  on(event: string, fn: Handler) {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), fn]);
    return this;
  }
  once(event: string, fn: Handler) {
    const wrapped: Handler = (...a) => {
      this.handlers.set(
        event,
        (this.handlers.get(event) ?? []).filter((h) => h !== wrapped),
      );
      fn(...a);
    };
    return this.on(event, wrapped);
  }
  fire(event: string, ...args: unknown[]) {
    for (const h of [...(this.handlers.get(event) ?? [])]) h(...args);
  }
  emit(event: string, payload: unknown) {
    this.emitted.push({ event, payload });
  }
  timeout() {
    return { emitWithAck: (event: string, payload: unknown) => new Promise((resolve, reject) => this.requests.push({ event, payload, resolve, reject })) };
  }
  connect() {
    this.connected = true;
    this.fire("connect");
  }
  disconnect() {
    this.connected = false;
  }
  /** Answers the oldest pending request of this event. */
  answer(event: string, result: unknown) {
    const i = this.requests.findIndex((r) => r.event === event);
    if (i < 0) throw new Error(`no pending ${event}`);
    const [req] = this.requests.splice(i, 1);
    req!.resolve(result);
    return req!.payload;
  }
  /** The oldest pending request of this event gets no answer in time. */
  timeOut(event: string) {
    const i = this.requests.findIndex((r) => r.event === event);
    const [req] = this.requests.splice(i, 1);
    req!.reject(new Error("operation has timed out"));
    return req!.payload;
  }
}

let fake: FakeSocket;
vi.mock("socket.io-client", () => ({ io: () => fake }));

const projectId = "00000000-0000-4000-8000-000000000001";
const user = { id: "00000000-0000-4000-8000-000000000002", name: "Ada" };
const event = (seq: number): ProjectEvent => ({ type: "classes.changed", seq, projectId, at: new Date(0).toISOString(), actor: user, data: {} });
const joined = (seq: number, events: ProjectEvent[] = [], reset = false): { ok: true } & JoinResult => ({ ok: true, seq, role: "OWNER", events, reset, presence: [] });

async function setup() {
  vi.resetModules();
  fake = new FakeSocket();
  const connection = await import("./connection");
  const delivered: number[] = [];
  const listener = { events: vi.fn((es: ProjectEvent[]) => delivered.push(...es.map((e) => e.seq))), resync: vi.fn(), presence: vi.fn() };
  const stop = connection.watchProject(projectId, listener);
  fake.connect();
  await vi.advanceTimersByTimeAsync(0);
  return { connection, listener, delivered, stop };
}

/** Lets promise callbacks run (acks are promises). */
const settle = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("project room catch-up", () => {
  it("joins without a seq the first time, refetches, and applies only events after the joined seq", async () => {
    const { listener, delivered } = await setup();
    fake.fire("project:events", [event(9)]); // arrives before the join is answered
    expect(fake.answer("project:join", joined(10))).toEqual({ projectId, sinceSeq: null });
    await settle();
    expect(listener.resync).toHaveBeenCalledOnce();
    fake.fire("project:events", [event(10), event(11), event(12)]);
    expect(delivered).toEqual([11, 12]);
  });

  it("puts events that cross on the wire back in order without asking the server", async () => {
    const { delivered } = await setup();
    fake.answer("project:join", joined(4));
    await settle();
    fake.fire("project:events", [event(6)]);
    await vi.advanceTimersByTimeAsync(100);
    expect(delivered).toEqual([]);
    fake.fire("project:events", [event(5)]);
    expect(delivered).toEqual([5, 6]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(fake.requests).toHaveLength(0);
  });

  it("asks for what is missing when a gap stays open, and delivers each event once", async () => {
    const { delivered } = await setup();
    fake.answer("project:join", joined(4));
    await settle();
    fake.fire("project:events", [event(7)]);
    await vi.advanceTimersByTimeAsync(200);
    expect(fake.answer("project:join", joined(7, [event(5), event(6), event(7)]))).toEqual({ projectId, sinceSeq: 4 });
    await settle();
    fake.fire("project:events", [event(7), event(8)]);
    expect(delivered).toEqual([5, 6, 7, 8]);
  });

  it("rejoins from the last applied seq after a reconnect and replays what was missed", async () => {
    const { listener, delivered } = await setup();
    fake.answer("project:join", joined(2));
    await settle();
    fake.fire("project:events", [event(3)]);
    fake.disconnect();
    fake.fire("disconnect", "transport close");
    fake.connect();
    expect(fake.answer("project:join", joined(5, [event(4), event(5)]))).toEqual({ projectId, sinceSeq: 3 });
    await settle();
    expect(delivered).toEqual([3, 4, 5]);
    expect(listener.resync).toHaveBeenCalledOnce(); // only the first join
  });

  it("refetches everything when the server says too much was missed to replay", async () => {
    const { listener, delivered } = await setup();
    fake.answer("project:join", joined(2));
    await settle();
    fake.connect();
    fake.answer("project:join", joined(9000, [], true));
    await settle();
    expect(listener.resync).toHaveBeenCalledTimes(2);
    fake.fire("project:events", [event(9001)]);
    expect(delivered).toEqual([9001]);
  });

  it("keeps events that arrive between one page leaving and the next arriving for the next page", async () => {
    const { connection, delivered, stop } = await setup();
    fake.answer("project:join", joined(1));
    await settle();
    stop(); // the page leaves; the room stays joined for a moment
    fake.fire("project:events", [event(2)]);
    const next: number[] = [];
    connection.watchProject(projectId, { events: (es) => next.push(...es.map((e) => e.seq)), resync: vi.fn(), presence: vi.fn() });
    expect(delivered).toEqual([]);
    expect(next).toEqual([2]);
    expect(fake.requests).toHaveLength(0); // still in the room: no second join
  });

  it("retries a label that timed out with the same client id until it is acknowledged", async () => {
    const { connection } = await setup();
    fake.answer("project:join", joined(0));
    await settle();
    const req = { projectId, imageId: projectId, classId: null, unsure: false, clientLabelId: connection.newClientId() };
    const sent = connection.sendLabel(req);
    expect(connection.connectionStatus().unsynced).toBe(1);
    expect(fake.timeOut("label:set")).toEqual(req);
    await vi.advanceTimersByTimeAsync(600);
    expect(fake.answer("label:set", { ok: true, seq: 1, annotationId: "1", duplicate: false })).toEqual(req);
    await expect(sent).resolves.toMatchObject({ seq: 1 });
    expect(connection.connectionStatus().unsynced).toBe(0);
  });
});
