// What the trainer tells people it is doing for a project and why (issue 12, item 4): the reconciler's decision
// (reconcile.ts `Action`) in the words of the training page, and when to say it. The decision is taken on every poll
// (every few seconds), but people need to hear only when it changes, so the trainer reports a decision once and
// again only when it means something else, or after a new lease (the server shows only the live holder's word).
import type { TrainerActivity } from "@fewlabel/realtime";
import type { Action } from "./reconcile";

/**
 * The decision as the training page says it: work reads "Now: <kind>, because <reason>", a wait "Waiting: <reason>".
 * The reconciler's reasons are short labels for its log; the few that do not read after "because" are reworded here
 * (activity.test.ts feeds this the reconciler's own decisions, so a reworded reason there shows up as a failure).
 */
export function activityOf(action: Action): TrainerActivity {
  switch (action.kind) {
    case "wait":
      // Owners act on these two, so the page shows them apart from the other waits.
      if (action.reason === "paused by an owner") return { kind: "paused", reason: "an owner paused training" };
      if (action.reason === "up to date") return { kind: "upToDate", reason: "nothing is due" };
      return { kind: "wait", reason: action.reason.replace(/^waiting\s+/, "") };
    case "pretrain":
      if (!action.extend) return { kind: "pretrain", reason: "the project has enough images to learn from" };
      // Without a reason, an extension comes from the growth rule.
      return { kind: "pretrainFurther", reason: action.reason ?? "the project has grown since the last pretraining" };
    case "finetune":
      return { kind: "finetune", reason: fineTuneBecause(action.reason) };
    case "stage3":
      return { kind: "stage3", reason: "the serving teacher has no student yet" };
    case "quickSuggestions":
      return { kind: "quickSuggestions", reason: quickBecause(action.reason) };
  }
}

function fineTuneBecause(reason: string): string {
  if (reason === "first fine-tune") return "there are enough labels for a first fine-tune";
  const grown = /^(\d+) new labels$/.exec(reason);
  if (grown) return `${grown[1]} new labels came in since the last fine-tune`;
  return reason;
}

function quickBecause(reason: string): string {
  const encoder = /^embeddings of the encoder (v\d+)$/.exec(reason);
  if (encoder) return `the encoder ${encoder[1]} is new: its embeddings are computed once`;
  return reason;
}

/** What this process last told the server about a project. */
export interface ReportedActivity {
  leaseId: string;
  activity: TrainerActivity;
  /** When it was reported (ms). */
  at: number;
}

/** A reason's wording without its numbers: "waiting for uploads to settle (new images 3 s ago)" moves every poll. */
const wording = (reason: string) => reason.replace(/\d+(?:\.\d+)?/g, "#");

/** A changed count in the same wording is said again, but at most this often. */
export const ACTIVITY_REFRESH_MS = 30_000;

/**
 * Whether `next` is news: the first word under a lease, another kind or another wording; the same wording with new
 * numbers ("waiting for labels (3 of 10 …)" → "(4 of 10 …)") once `refreshMs` has passed since the last report, so a
 * count that ticks on every poll is not an event on every poll.
 */
export function activityIsNews(last: ReportedActivity | undefined, leaseId: string, next: TrainerActivity, now: number, refreshMs = ACTIVITY_REFRESH_MS): boolean {
  if (!last || last.leaseId !== leaseId) return true;
  if (last.activity.kind !== next.kind || wording(last.activity.reason) !== wording(next.reason)) return true;
  return last.activity.reason !== next.reason && now - last.at >= refreshMs;
}

/** The one procedure the reporter needs (the trainer api's `trpc` has it). */
export interface ActivitySink {
  reportActivity: { mutate(input: { projectId: string; leaseId: string; activity: TrainerActivity }): Promise<unknown> };
}

/** Reports each project's decisions when they are news (see `activityIsNews`). */
export class ActivityReporter {
  private readonly last = new Map<string, ReportedActivity>();
  /** A server that keeps refusing (an older one without the procedure) is mentioned once, not on every poll. */
  private lastFailure = "";

  constructor(
    private readonly api: ActivitySink,
    private readonly log: (m: string) => void = () => {},
  ) {}

  /**
   * Reports the decision if it is news; true when it was sent. A failed report (server restarting, lease just lost)
   * is not remembered, so the next decision tries again; it never fails the work it describes.
   */
  async report(projectId: string, leaseId: string, action: Action, now = Date.now()): Promise<boolean> {
    return this.say(projectId, leaseId, activityOf(action), now);
  }

  /** Reports an activity worded by the work itself (a stage's progress, selfTrainingActivity) if it is news. */
  async say(projectId: string, leaseId: string, activity: TrainerActivity, now = Date.now()): Promise<boolean> {
    if (!activityIsNews(this.last.get(projectId), leaseId, activity, now)) return false;
    try {
      await this.api.reportActivity.mutate({ projectId, leaseId, activity }).catch(async (err) => {
        // Reports follow long synchronous work (a round's pseudo-labels), after which a pooled keep-alive connection
        // the server has closed meanwhile can fail a request that never reached it ("fetch failed"; seen in bench:loop
        // runs 18-19 once a round). A report says the same thing twice harmlessly: once more, a turn later.
        if (!unanswered(err)) throw err;
        await new Promise((r) => setImmediate(r));
        return this.api.reportActivity.mutate({ projectId, leaseId, activity });
      });
    } catch (err) {
      const message = describeFailure(err);
      if (message !== this.lastFailure) this.log(`could not report what it does (${message})`);
      this.lastFailure = message;
      return false;
    }
    this.lastFailure = "";
    this.last.set(projectId, { leaseId, activity, at: now });
    return true;
  }
}

/**
 * Stage 3's word while it self-trains (one report per round at most, see activityIsNews): the decision's reason, then
 * the round and how many unlabelled images its pseudo-labeller (the teacher in round 1, the student after) was sure of.
 */
export function selfTrainingActivity(r: { round: number; rounds: number; confident: number; unlabelled: number; threshold: number }): TrainerActivity {
  const by = r.round === 1 ? "the teacher" : "the student";
  const base = activityOf({ kind: "stage3", teacherVersionId: "" }).reason;
  return {
    kind: "stage3",
    reason: `${base}; self-training, round ${r.round} of ${r.rounds}: ${by} is at least ${Math.round(r.threshold * 100)}% sure of ${r.confident.toLocaleString("en-US")} of ${r.unlabelled.toLocaleString("en-US")} unlabelled images`,
  };
}

/** Errors a fetch throws when no answer came at all (network level), as against an HTTP or tRPC error. */
function unanswered(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) if (e.message === "fetch failed") return true;
  return false;
}

/** The error's message with the network cause under it ("fetch failed: other side closed (UND_ERR_SOCKET)"). */
function describeFailure(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e !== undefined && e !== null && parts.length < 4; e = (e as { cause?: unknown }).cause) {
    const { message, code } = e as { message?: unknown; code?: unknown };
    const text = `${typeof message === "string" ? message : String(e)}${typeof code === "string" ? ` (${code})` : ""}`;
    if (parts.at(-1) !== text) parts.push(text);
  }
  return parts.join(": ");
}
