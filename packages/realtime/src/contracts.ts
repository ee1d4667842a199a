// The wire protocol of live collaboration: every socket.io event between browser, server and trainer, as zod
// schemas. The server validates everything it receives against these; clients get the same types.
//
// Ordering: the server is the single source of truth. Every change to a project gets the project's next sequence
// number (`seq`) and is broadcast as a ProjectEvent; a client that saw seq N and reconnects asks for everything
// after N (`project:join` with `sinceSeq`), so it misses nothing and never reloads.
import { z } from "zod";

export const id = z.uuid();

export const labelChange = z.object({
  imageId: id,
  userId: id,
  /** The author's new vote; null withdraws it. */
  classId: id.nullable(),
  unsure: z.boolean(),
  /** The author's vote before this change (what "undo" goes back to). */
  previousClassId: id.nullable(),
  /** The image's label after resolving all votes (see packages/api/src/services/resolve-label.ts). */
  resolvedClassId: id.nullable(),
  previousResolvedClassId: id.nullable(),
  votes: z.number().int(),
  disagreement: z.boolean(),
  annotationId: z.string(),
  undo: z.boolean(),
  /** The author's vote is a reviewer's decision, which names the label whatever the counts (absent in older events). */
  decision: z.boolean().optional(),
});
export type LabelChange = z.infer<typeof labelChange>;

// ---- the trainer's events (issue 6); every one is a logged, numbered ProjectEvent like the labelling events ----

export const trainingStage = z.enum(["pretrain", "finetune", "pseudolabel", "distil"]);
export type TrainingStage = z.infer<typeof trainingStage>;
export const trainingStatus = z.enum(["RUNNING", "PAUSED", "DONE", "FAILED"]);

/** Latest progress of a training run (the trainer throttles these; the run's full curve is in `training.status`). */
export const trainingProgress = z.object({
  runId: id,
  stage: trainingStage,
  status: trainingStatus,
  step: z.number().int(),
  totalSteps: z.number().int(),
  /** The step this run started from: > 0 when it resumed from a checkpoint. */
  startStep: z.number().int(),
  loss: z.number().nullable(),
  accuracy: z.number().nullable(),
  imagesPerSecond: z.number().nullable(),
  backend: z.string(),
  /** Seconds left at the current pace; null when unknown. */
  etaSeconds: z.number().nullable(),
  error: z.string().nullable(),
  skippedImages: z.number().int(),
});
export type TrainingProgress = z.infer<typeof trainingProgress>;

export const pseudoLabelSummary = z.object({ id, imageId: id, classId: id, confidence: z.number(), modelVersionId: id });
export type PseudoLabelSummary = z.infer<typeof pseudoLabelSummary>;

/**
 * Where suggestions came from when not from the version's own classifier: a quick head (kNN or a linear probe) on the
 * embeddings of a pretrained encoder version or on the images' downsampled pixels, whichever cross-validated better,
 * trained on the labels of the moment (issue 12, item 6). They are attributed to the encoder version whose refresh
 * produced them; a suggestion of a PRETRAIN version is always one.
 */
export const suggestionSource = z.object({
  kind: z.literal("quick"),
  /** The feature rows the head reads (older trainers send none: embeddings). */
  features: z.enum(["encoder", "pixels"]).default("encoder"),
  head: z.enum(["knn", "linear"]),
  /** Neighbours that vote (kNN). */
  k: z.number().int().positive().nullable(),
  /** Labels the head was trained on. */
  trainLabels: z.number().int().min(0),
  /** The head's cross-validated accuracy on the `cvLabels` labels it was chosen on (chosen again as labels grow). */
  cvAccuracy: z.number().min(0).max(1),
  cvLabels: z.number().int().min(0),
  /** Accuracy on the held-out human labels, null below the minimum count. */
  heldOutAccuracy: z.number().min(0).max(1).nullable(),
});
export type SuggestionSource = z.infer<typeof suggestionSource>;

/**
 * What the trainer is doing for a project and why (issue 12, item 4): its reconciler's latest decision, reported when
 * it changes. `reason` reads after "because" for work ("Now: pretraining further, because …") and after "Waiting:"
 * for a wait ("Waiting: for the upload in progress to finish"); `upToDate` and `paused` are the waits people act on.
 */
export const trainerActivityKind = z.enum(["wait", "upToDate", "paused", "pretrain", "pretrainFurther", "finetune", "stage3", "quickSuggestions"]);
export type TrainerActivityKind = z.infer<typeof trainerActivityKind>;
export const trainerActivity = z.object({ kind: trainerActivityKind, reason: z.string().trim().max(500) });
export type TrainerActivity = z.infer<typeof trainerActivity>;

function trainerEvents() {
  const base = { seq: z.number().int(), projectId: id, at: z.string(), actor: z.object({ id, name: z.string() }) };
  return [
    /** A run started, advanced, paused, finished or failed. */
    z.object({ type: z.literal("training.progress"), ...base, data: trainingProgress }),
    /** Owners paused / resumed training or asked for a fine-tune; the trainer lease was taken or released. */
    z.object({
      type: z.literal("training.control"),
      ...base,
      data: z.object({ paused: z.boolean(), fineTuneRequested: z.boolean(), trainer: z.object({ holder: z.string(), expiresAt: z.string() }).nullable() }),
    }),
    /** The trainer's decision for the project changed (what it does now and why); `at` is when it was reported. */
    z.object({ type: z.literal("training.activity"), ...base, data: trainerActivity.extend({ at: z.string() }) }),
    /** A finished stage published a model version. */
    z.object({
      type: z.literal("model.published"),
      ...base,
      data: z.object({ modelVersionId: id, version: z.number().int(), stage: z.enum(["PRETRAIN", "FINETUNE", "DISTIL"]), accuracy: z.number().nullable() }),
    }),
    /**
     * New suggestions for unlabelled images (one event per batch the trainer posts); a refreshed quick suggestion comes
     * again with its id and its new class and confidence.
     */
    z.object({ type: z.literal("pseudoLabels.added"), ...base, data: z.object({ modelVersionId: id, items: z.array(pseudoLabelSummary), source: suggestionSource.optional() }) }),
    /** Suggestions reviewed (accepted, corrected, rejected) or back to pending after an undo. */
    z.object({
      type: z.literal("pseudoLabels.reviewed"),
      ...base,
      data: z.object({ items: z.array(z.object({ id, imageId: id, status: z.enum(["PENDING", "ACCEPTED", "REJECTED", "CORRECTED"]), classId: id.nullable() })) }),
    }),
  ] as const;
}

export const projectEvent = z.discriminatedUnion("type", [
  z.object({ type: z.literal("label"), seq: z.number().int(), projectId: id, at: z.string(), actor: z.object({ id, name: z.string() }), data: labelChange }),
  z.object({
    type: z.literal("images.added"),
    seq: z.number().int(),
    projectId: id,
    at: z.string(),
    actor: z.object({ id, name: z.string() }),
    data: z.object({ count: z.number().int(), labelled: z.number().int() }),
  }),
  /** Images hidden as duplicates of another (issue 17), or shown again (`hidden` false). */
  z.object({
    type: z.literal("images.hidden"),
    seq: z.number().int(),
    projectId: id,
    at: z.string(),
    actor: z.object({ id, name: z.string() }),
    data: z.object({ imageIds: z.array(id), hidden: z.boolean() }),
  }),
  z.object({ type: z.literal("classes.changed"), seq: z.number().int(), projectId: id, at: z.string(), actor: z.object({ id, name: z.string() }), data: z.object({}) }),
  ...trainerEvents(),
]);
export type ProjectEvent = z.infer<typeof projectEvent>;
export type ProjectEventType = ProjectEvent["type"];

export const presenceEntry = z.object({ userId: id, name: z.string(), imageId: id.nullable(), connections: z.number().int() });
export type PresenceEntry = z.infer<typeof presenceEntry>;

export const imageRef = z.object({ id, filename: z.string(), width: z.number().int(), height: z.number().int(), labelClassId: id.nullable() });
export type ImageRef = z.infer<typeof imageRef>;

// ---- client -> server payloads ----
export const joinRequest = z.object({ projectId: id, sinceSeq: z.number().int().min(0).nullable().default(null) });
export const projectRequest = z.object({ projectId: id });
export const claimRequest = z.object({ projectId: id, skip: z.array(id).max(1000).default([]) });
export const releaseRequest = z.object({ projectId: id, imageId: id });
/** Images the client already shows (after a reconnect, or an undo that brings one back): lease them again if free. */
export const holdRequest = z.object({ projectId: id, imageIds: z.array(id).min(1).max(20) });
export const labelRequest = z.object({
  projectId: id,
  imageId: id,
  classId: id.nullable(),
  unsure: z.boolean().default(false),
  /** Chosen by the client; a retried request with the same id is applied once. */
  clientLabelId: id,
});
export const labelManyRequest = z.object({ projectId: id, imageIds: z.array(id).min(1).max(500), classId: id.nullable(), clientLabelId: id });
export const undoRequest = z.object({ projectId: id });
export const viewingRequest = z.object({ projectId: id, imageId: id.nullable() });

export type JoinRequest = z.input<typeof joinRequest>;
export type ClaimRequest = z.input<typeof claimRequest>;
export type LabelRequest = z.input<typeof labelRequest>;
export type LabelManyRequest = z.input<typeof labelManyRequest>;
export type HoldRequest = z.input<typeof holdRequest>;

// ---- acknowledgements ----
export type Failure = { ok: false; error: string; code: "bad_request" | "unauthenticated" | "not_found" | "forbidden" | "conflict" | "internal" };
export type Ack<T> = ({ ok: true } & T) | Failure;

export interface JoinResult {
  seq: number;
  role: "OWNER" | "REVIEWER" | "ANNOTATOR";
  /** Events after sinceSeq, oldest first; `reset` when too many were missed to replay (refetch instead). */
  events: ProjectEvent[];
  reset: boolean;
  presence: PresenceEntry[];
}
export interface ClaimResult {
  image: ImageRef | null;
  leaseExpiresAt: string | null;
  /** Images likely to come next, for the browser to preload (not leased). */
  prefetch: ImageRef[];
  /** How many images still need labels in this project. */
  remaining: number;
}
export interface HoldResult {
  /** The images now leased to the caller; the others went to teammates (or need no more votes) meanwhile. */
  held: string[];
  leaseExpiresAt: string | null;
}
export interface LabelResult {
  seq: number;
  annotationId: string;
  duplicate: boolean;
}
export interface LabelManyResult {
  seq: number;
  count: number;
  /** True when this clientLabelId had been applied before (a retry): nothing changed now. */
  duplicate: boolean;
}
export interface UndoResult {
  seq: number;
  imageId: string;
  classId: string | null;
}

export interface ClientToServerEvents {
  "project:join": (req: JoinRequest, ack: (r: Ack<JoinResult>) => void) => void;
  "project:leave": (req: { projectId: string }, ack?: (r: Ack<object>) => void) => void;
  "image:claim": (req: ClaimRequest, ack: (r: Ack<ClaimResult>) => void) => void;
  "image:release": (req: { projectId: string; imageId: string }, ack?: (r: Ack<object>) => void) => void;
  "image:hold": (req: HoldRequest, ack: (r: Ack<HoldResult>) => void) => void;
  "label:set": (req: LabelRequest, ack: (r: Ack<LabelResult>) => void) => void;
  "label:setMany": (req: LabelManyRequest, ack: (r: Ack<LabelManyResult>) => void) => void;
  "label:undo": (req: { projectId: string }, ack: (r: Ack<UndoResult>) => void) => void;
  "presence:viewing": (req: { projectId: string; imageId: string | null }) => void;
}

export interface ServerToClientEvents {
  /** Changes in seq order, batched: one message may carry many events. */
  "project:events": (events: ProjectEvent[]) => void;
  /**
   * Transient events outside the change log: a training run's progress ticks (every couple of seconds while a trainer
   * works). They carry seq 0, are not stored nor replayed (a client that missed some reads training.status), so hours
   * of training never push a reconnecting client past the replay limit.
   */
  "project:progress": (events: ProjectEvent[]) => void;
  "presence:update": (update: { projectId: string; entry: PresenceEntry }) => void;
}

export const projectRoom = (projectId: string) => `project:${projectId}`;
