// What every api call sees: the database, the image store, and who is calling (resolved from the session cookie by
// the HTTP layer before any procedure runs).
import type { PrismaClient } from "@fewlabel/db";
import { type ImageStore, trainingCopySide } from "@fewlabel/storage";
import type { ResolvedSession } from "./auth/sessions";
import type { TrainerIdentity } from "./auth/trainer-tokens";
import type { Broadcaster } from "./broadcast";

export interface ApiServices {
  db: PrismaClient;
  store: ImageStore;
  /** Announces project changes live (socket.io rooms in the web server). */
  broadcaster?: Broadcaster;
  /** Longest side of the training copies served to trainers (default: FEWLABEL_TRAINING_COPY_SIZE, else 256). */
  trainingCopySide?: number;
}

/** The training copy size these services serve. */
export function trainingCopySideOf(services: Pick<ApiServices, "trainingCopySide">): number {
  return services.trainingCopySide ?? trainingCopySide();
}

export interface ApiContext extends ApiServices {
  session: ResolvedSession | null;
  /** Set when the request carries a valid trainer token (Authorization: Bearer); trainers have no session. */
  trainer: TrainerIdentity | null;
  /** The caller's network address (for the sign-in throttle), null where there is none (in-process calls). */
  clientAddress: string | null;
  /** Sets (token) or clears (null) the session cookie on the response. */
  setSessionCookie(token: string | null, expiresAt?: Date): void;
}
