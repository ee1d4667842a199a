// What the training page says the trainer is doing and why (issue 12, item 4), from `training.status`: the trainer's
// own report of its decision (`activity`), read against what people can see (is a trainer connected, how many labels
// until the next fine-tune), and whether the latest run is still the "current" one or already history.
import type { TrainerActivityKind } from "@fewlabel/realtime";
import type { RouterOutputs } from "../api-types";
import { plural } from "../format";

type Status = RouterOutputs["training"]["status"];

export type ActivityTone = "offline" | "starting" | "working" | "waiting" | "paused" | "upToDate";

export interface ActivityLine {
  tone: ActivityTone;
  /** The headline word: "Now", "Waiting", "Up to date", … */
  label: string;
  /** What follows it. */
  text: string;
  /** When the trainer said it; null when it has not. */
  since: Date | null;
}

const doing: Record<Exclude<TrainerActivityKind, "wait" | "upToDate" | "paused">, string> = {
  pretrain: "pretraining the encoder on the images",
  pretrainFurther: "pretraining further",
  finetune: "fine-tuning on the labels",
  stage3: "labelling the unlabelled images and distilling the student",
  quickSuggestions: "refreshing the quick suggestions",
};

/** The activity headline, e.g. "Now: pretraining further, because nothing else is due: …". */
export function describeActivity(s: Pick<Status, "activity" | "counts">, online: boolean): ActivityLine {
  // A stored activity belongs to the lease holder; without one, nothing is being done whatever was said last.
  if (!online) return { tone: "offline", label: "No trainer is connected", text: "labelling works without one, and training goes on when a trainer takes the project", since: null };
  const a = s.activity;
  if (!a) return { tone: "starting", label: "Connected", text: "the trainer is looking at the project", since: null };
  const since = new Date(a.at);
  switch (a.kind) {
    case "wait":
      return { tone: "waiting", label: "Waiting", text: a.reason, since };
    case "paused":
      return { tone: "paused", label: "Paused", text: `${a.reason}; labelling goes on`, since };
    case "upToDate": {
      const more = s.counts.fineTuneThreshold - s.counts.labelsSinceFineTune;
      const text = more > 0 ? `nothing to do until ${plural(more, "more label")} (the next fine-tune comes after ${plural(s.counts.fineTuneThreshold, "new label")})` : a.reason;
      return { tone: "upToDate", label: "Up to date", text, since };
    }
    default:
      return { tone: "working", label: "Now", text: `${doing[a.kind]}, because ${a.reason}`, since };
  }
}

type Run = NonNullable<Status["current"]>;

/**
 * Whether the latest run is the page's "Current run": only while it runs or waits to be resumed (paused). A finished
 * or failed run is history: an idle trainer is not "running" the last thing it did.
 */
export function isCurrentRun(run: Pick<Run, "status"> | null): boolean {
  return run !== null && (run.status === "RUNNING" || run.status === "PAUSED");
}
