// When the trainer refreshes its quick suggestions (issue 12, item 6), and whose pending suggestions they may replace:
// pure functions of the project summary and of what this trainer process remembers of its last refresh, so the
// reconciler (reconcile.ts) and the check between a heavy stage's steps (quick-suggestions.ts) decide alike.
//   - due when a newer pretrained encoder was published (its embeddings are computed once, while its checkpoint is at
//     hand) or when labels changed since the last refresh (the label history's length, so a relabel counts too);
//   - label refreshes at most every `minIntervalSeconds`: in between, the heavy stages run, so a steady stream of
//     labels cannot starve them (a new encoder is embedded at once: that happens once per version, and the slot holds
//     its weights only until the next pretraining run checkpoints);
//   - a serving teacher keeps its pending suggestions unless the quick head measurably beats it on held-out labels.
import type { Action, ModelSummary } from "./reconcile";

export interface QuickRefreshMemory {
  /** Seconds between two quick refreshes at least; 0 turns quick suggestions off. */
  minIntervalSeconds: number;
  /** The last refresh in this process: the encoder version it used, the label changes it had seen, when it ended. */
  last: { encoderVersionId: string; labelChanges: number; at: number } | null;
}

/** What the rule reads of a summary (trainer.summary and trainer.state both carry it). */
export interface QuickRefreshInput {
  models: ModelSummary[];
  counts: { labelled: number; labelledClasses: number; labelChanges?: number };
}

export type QuickSuggestionsAction = Extract<Action, { kind: "quickSuggestions" }>;

/** The label state a refresh is keyed by: the label history's length (the labelled count from an older server). */
export const labelStateOf = (s: QuickRefreshInput): number => s.counts.labelChanges ?? s.counts.labelled;

/** The quick refresh that is due now, or null. */
export function quickRefreshDue(s: QuickRefreshInput, memory: QuickRefreshMemory | undefined, now = Date.now()): QuickSuggestionsAction | null {
  if (!memory || memory.minIntervalSeconds <= 0) return null;
  const encoder = [...s.models].reverse().find((m) => m.stage === "PRETRAIN");
  if (!encoder) return null;
  const last = memory.last;
  if (!last || last.encoderVersionId !== encoder.id) {
    return { kind: "quickSuggestions", encoderVersionId: encoder.id, reason: `embeddings of the encoder v${encoder.version}` };
  }
  if (now - last.at < memory.minIntervalSeconds * 1000) return null;
  if (labelStateOf(s) !== last.labelChanges && s.counts.labelledClasses >= 2) {
    return { kind: "quickSuggestions", encoderVersionId: encoder.id, reason: "labels changed" };
  }
  return null;
}

/**
 * Whether the serving teacher's pending suggestions stay where they are. A teacher is the heavier, usually better
 * model; the quick head replaces its suggestions only when it measurably scores better on the held-out labels (the
 * teacher's accuracy is the one its version reports; an unmeasured teacher loses to a measured quick head).
 */
export function keepTeacherSuggestions(teacher: { accuracy?: number | null } | undefined, quickHeldOutAccuracy: number | null): boolean {
  if (!teacher) return false;
  if (quickHeldOutAccuracy === null) return true;
  return teacher.accuracy != null && teacher.accuracy >= quickHeldOutAccuracy;
}
