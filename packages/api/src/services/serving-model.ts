// Which model version serves: "the best model serves, not the newest" (issue 12). The teacher that suggests labels
// and the student that is downloaded and run in the browser are the versions of their kind with the best accuracy on
// held-out human labels, so a retrain that came out worse is shown as a regression instead of silently replacing a
// better model. A pure function of the versions' stages and metrics: the api (models.list, models.serving,
// models.latestStudent) and the trainer (which teacher labels the unlabelled images) decide with the same rule.

/** The two kinds of version that classify, and the stage that publishes each. */
export const servingStages = { teacher: "FINETUNE", student: "DISTIL" } as const;
export type ServingRole = keyof typeof servingStages;

/** What the rule reads of a version: enough of a models.list row or a trainer summary row. */
export interface ServingCandidate {
  id: string;
  version: number;
  stage: string;
  metrics: { accuracy: number; heldOut?: number; baselines?: readonly { name: string; accuracy: number }[] } | null;
}

/**
 * The serving version of a kind: the best held-out accuracy, ties to the newer. A version without metrics (too few
 * held-out labels to measure it) cannot be compared, so it serves only while no version of its kind has metrics, and
 * then the newest does. Null when the kind has no version at all.
 */
export function pickServingVersion<V extends ServingCandidate>(versions: readonly V[], role: ServingRole): V | null {
  const ofKind = versions.filter((v) => v.stage === servingStages[role]);
  const measured = ofKind.filter((v) => v.metrics !== null);
  const pool = measured.length > 0 ? measured : ofKind;
  if (pool.length === 0) return null;
  // The best measured version (ties to the newer); then the newest version whose accuracy is tied with it: within
  // the tie margin of the best, measured from the best, so a chain of small drops cannot walk away from it.
  const top = measured.length > 0 ? bestMeasured(measured) : null;
  let best: V | null = null;
  for (const v of pool) if ((top === null || !clearlyBetter(top.metrics!, v.metrics!)) && (best === null || v.version > best.version)) best = v;
  return best;
}

/**
 * Accuracies at least this close count as a tie, which goes to the newer version. A project's held-out set is small
 * (50-70 labels for 300): one label is 1.5-2 points. Measured in the product (bench:loop, Fashion-MNIST, 300 labels):
 * a re-fine-tuned teacher that scored 76.7% on 2,000 unseen images against its predecessor's 74.6% read 42 of 59
 * held-out labels against 43 of 59, and exact comparison kept the older one serving.
 */
export const SERVING_TIE_MARGIN = 0.02;

/**
 * Two held-out accuracies are tied when they differ by less than one standard error of their difference (each a
 * binomial proportion on its held-out count, smoothed as (correct + 1) / (n + 2) so 100% on 5 labels is not certain),
 * and never by less than SERVING_TIE_MARGIN: the one-standard-error rule of model selection, which prefers the newer
 * version unless the older one is better by more than the noise of the labels that measure them. With ~60 held-out
 * labels that is ~7 points: in bench:loop (2026-12-06, run 6) a teacher read 83.6% of 61 and a later one 78.7% of
 * 61, and on 2,000 unseen images the later one was better, 77.5% against 76.3%; the exact comparison kept the older.
 * With hundreds of held-out labels the margin shrinks to a few points. Without counts, the fixed margin.
 */
export function tieMargin(a: { accuracy: number; heldOut?: number } | null, b: { accuracy: number; heldOut?: number } | null): number {
  if (!a?.heldOut || !b?.heldOut) return SERVING_TIE_MARGIN;
  return Math.max(SERVING_TIE_MARGIN, accuracyDifferenceError({ accuracy: a.accuracy, count: a.heldOut }, { accuracy: b.accuracy, count: b.heldOut }));
}

/**
 * Whether `a` scores better than `b` by more than their tie margin: the one rule by which a model replaces another on
 * held-out labels (the serving version, the teacher's pixel expert, the linear head).
 */
export function clearlyBetter(a: { accuracy: number; heldOut?: number }, b: { accuracy: number; heldOut?: number }): boolean {
  return a.accuracy > b.accuracy + tieMargin(a, b) + 1e-9;
}

/**
 * One standard error of the difference of two accuracies, each a binomial proportion on its own count of labels,
 * smoothed as (correct + 1) / (count + 2) so that 5 of 5 is not certainty.
 */
export function accuracyDifferenceError(a: { accuracy: number; count: number }, b: { accuracy: number; count: number }): number {
  const variance = ({ accuracy, count }: { accuracy: number; count: number }) => {
    const p = (accuracy * count + 1) / (count + 2);
    return (p * (1 - p)) / Math.max(1, count);
  };
  return Math.sqrt(variance(a) + variance(b));
}

export function servingVersions<V extends ServingCandidate>(versions: readonly V[]): { teacher: V | null; student: V | null } {
  return { teacher: pickServingVersion(versions, "teacher"), student: pickServingVersion(versions, "student") };
}

export interface VersionAssessment {
  /** The role this version serves in, or null. */
  serving: ServingRole | null;
  /** The strongest trivial method on the same training and held-out labels, or null when none was measured. */
  bestBaseline: { name: string; accuracy: number } | null;
  /** Whether the version's accuracy is above the best baseline's; null without metrics or baselines. */
  beatsBaselines: boolean | null;
  /** A newer version of a serving kind measured below the serving one, and so not served: the one it lost to. */
  regression: { id: string; version: number; accuracy: number } | null;
  /**
   * A serving version that reads below an older one of its kind, served because the difference is within the noise
   * of their held-out labels (tieMargin): that version, its accuracy and the margin.
   */
  withinNoiseOf: { id: string; version: number; accuracy: number; margin: number } | null;
}

/** The serving versions and, for every version, how it compares with the baselines and with what serves. */
export function assessVersions<V extends ServingCandidate>(versions: readonly V[]): { serving: { teacher: V | null; student: V | null }; byId: Map<string, VersionAssessment> } {
  const serving = servingVersions(versions);
  const byId = new Map<string, VersionAssessment>();
  for (const v of versions) {
    const role = (Object.keys(servingStages) as ServingRole[]).find((r) => servingStages[r] === v.stage) ?? null;
    const server = role ? serving[role] : null;
    const bestBaseline = bestOf(v.metrics?.baselines ?? []);
    // A newer version measured below what serves (the rule served it otherwise: it is the newest of the ties).
    const regression =
      server && server.id !== v.id && v.version > server.version && v.metrics && server.metrics && v.metrics.accuracy < server.metrics.accuracy
        ? { id: server.id, version: server.version, accuracy: server.metrics.accuracy }
        : null;
    // The serving version and the best of its kind, when that is not the one serving.
    const better = server?.id === v.id && role ? bestMeasured(versions.filter((o) => o.stage === v.stage)) : null;
    const withinNoiseOf =
      better && better.id !== v.id && v.metrics && better.metrics && better.metrics.accuracy > v.metrics.accuracy
        ? { id: better.id, version: better.version, accuracy: better.metrics.accuracy, margin: tieMargin(v.metrics, better.metrics) }
        : null;
    byId.set(v.id, {
      serving: server?.id === v.id ? role : null,
      withinNoiseOf,
      bestBaseline,
      beatsBaselines: v.metrics && bestBaseline ? v.metrics.accuracy > bestBaseline.accuracy : null,
      regression,
    });
  }
  return { serving, byId };
}

/** The measured version with the best accuracy, ties to the newer. */
function bestMeasured<V extends ServingCandidate>(versions: readonly V[]): V | null {
  let top: V | null = null;
  for (const v of versions) {
    if (!v.metrics) continue;
    if (top === null || v.metrics.accuracy > top.metrics!.accuracy || (v.metrics.accuracy === top.metrics!.accuracy && v.version > top.version)) top = v;
  }
  return top;
}

function bestOf(baselines: readonly { name: string; accuracy: number }[]): { name: string; accuracy: number } | null {
  let best: { name: string; accuracy: number } | null = null;
  for (const b of baselines) if (best === null || b.accuracy > best.accuracy) best = { name: b.name, accuracy: b.accuracy };
  return best;
}
