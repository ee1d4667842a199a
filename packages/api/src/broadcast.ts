// How the api announces project changes to open browsers without depending on socket.io: the web server plugs its
// socket.io rooms in; tests and scripts can leave the default, which drops events (they are in the log anyway).
import type { ProjectEvent } from "@fewlabel/realtime";

export interface Broadcaster {
  /** Numbered events of the change log, after their transaction committed. */
  publish(events: readonly ProjectEvent[]): void;
  /** Transient events (seq 0, never stored): a training run's progress ticks. */
  publishTransient(events: readonly ProjectEvent[]): void;
  /** A member was removed or left: their open connections stop receiving the project's events at once. */
  leaveProject?(projectId: string, userId: string): void;
  /** A session ended (signed out): its open connections are closed. */
  endSession?(sessionId: string): void;
}

export const silentBroadcaster: Broadcaster = { publish() {}, publishTransient() {} };
