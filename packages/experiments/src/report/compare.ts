// Every arm read against the trivial methods at its own label fraction (the project's non-negotiable): its counts
// and 95% Wilson interval, the best baseline trained on the same labels and scored on the same test images, and
// whether the arm beats it. One function for the table, the plot, the JSON line and the web page.
import { wilsonInterval } from "@fewlabel/ml/interval";
import type { ArmResult, BaselineScore, ExperimentResults, FractionBaselines, Interval } from "./types";

export interface ArmComparison {
  arm: ArmResult;
  /** Test images the arm got right, of `total` (every arm is scored on all the test images). */
  correct: number;
  total: number;
  interval: Interval;
  /** The strongest baseline at the arm's label fraction; null where none was measured there. */
  best: BaselineScore | null;
  /** Whether the arm's accuracy is above the best baseline's (a tie does not beat it); null without baselines. */
  beats: boolean | null;
}

const sameFraction = (a: number, b: number) => Math.abs(a - b) < 1e-9;

/** The baselines measured at label fraction `f`, if any. */
export function baselinesAt(r: Pick<ExperimentResults, "baselines">, f: number): FractionBaselines | null {
  return (r.baselines ?? []).find((b) => sameFraction(b.labelFraction, f)) ?? null;
}

/** The strongest of a fraction's baselines (the first of equals). */
export function bestBaseline(b: FractionBaselines | null): BaselineScore | null {
  return (b?.scores ?? []).reduce<BaselineScore | null>((best, s) => (!best || s.testAccuracy > best.testAccuracy ? s : best), null);
}

export function compareWithBaselines(r: Pick<ExperimentResults, "arms" | "testImages" | "baselines">): ArmComparison[] {
  return r.arms.map((arm) => {
    const total = r.testImages;
    // testAccuracy is correct / total: the count comes back exactly.
    const correct = Math.round(arm.testAccuracy * total);
    const best = bestBaseline(baselinesAt(r, arm.labelFraction));
    return { arm, correct, total, interval: wilsonInterval(correct, total), best, beats: best ? arm.testAccuracy > best.testAccuracy : null };
  });
}
