// The results as markdown tables: one row per arm (and one for the shared pretraining), in run order, each beside
// the best baseline at its label fraction; then the baselines themselves, one row per fraction.
import { baselinesAt, bestBaseline, compareWithBaselines } from "./compare";
import { baselineLabel, type ExperimentResults, type Interval } from "./types";

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const range = (i: Interval) => `${(i.low * 100).toFixed(1)}–${(i.high * 100).toFixed(1)}`;
const fraction = (f: number) => `${+(f * 100).toPrecision(3)}%`;
const secs = (s: number) => (s >= 100 ? s.toFixed(0) : s.toFixed(1));
const epochs = (e: number) => (e >= 10 ? e.toFixed(0) : e.toFixed(2));
const labels = (n: number, f: number) => `${n.toLocaleString("en-US")} (${fraction(f)})`;

function markdown(rows: string[][]): string {
  const escapeCell = (cell: string) => cell.replace(/\|/g, "\\|");
  const line = (cells: string[]) => `| ${cells.map(escapeCell).join(" | ")} |`;
  return `${[line(rows[0]!), `| ${rows[0]!.map(() => "---").join(" | ")} |`, ...rows.slice(1).map(line)].join("\n")}\n`;
}

/** "+5.8 points" where the arm beats the best baseline, "**does not beat it (-1.2 points)**" where it does not. */
export function marginText(armAccuracy: number, baselineAccuracy: number): string {
  const d = (armAccuracy - baselineAccuracy) * 100;
  const points = `${d > 0 ? "+" : d < 0 ? "-" : "±"}${Math.abs(d).toFixed(1)} points`;
  return d > 0 ? points : `**does not beat it (${points})**`;
}

export function resultsTable(r: ExperimentResults): string {
  const rows: string[][] = [["arm", "labels used", "test accuracy (95% interval)", "best baseline, same labels", "against it", "wall time (s)", "backend", "epochs"]];
  for (const { arm: a, interval, best } of compareWithBaselines(r)) {
    rows.push([
      a.name,
      labels(a.labelsUsed, a.labelFraction),
      `${pct(a.testAccuracy)} (${range(interval)})`,
      best ? `${baselineLabel(best.name)} ${pct(best.testAccuracy)}` : "-",
      best ? marginText(a.testAccuracy, best.testAccuracy) : "-",
      secs(a.seconds),
      a.backend,
      epochs(a.epochs),
    ]);
  }
  if (r.pretrain) rows.push(["simclr-pretrain (shared, no labels)", "0", "-", "-", "-", secs(r.pretrain.seconds), r.backend, epochs(r.pretrain.epochs)]);
  return markdown(rows);
}

/** The baselines at every fraction: accuracy (95% interval), the best marked, and what each took; "" when none. */
export function baselinesTable(r: Pick<ExperimentResults, "baselines">): string {
  const all = r.baselines ?? [];
  if (all.length === 0) return "";
  const names = [...new Set(all.flatMap((b) => b.scores.map((s) => s.name)))];
  const rows: string[][] = [["labels", ...names.map(baselineLabel), "wall time (s)", "backend"]];
  for (const b of all) {
    const best = bestBaseline(baselinesAt(r, b.labelFraction));
    const cell = (name: string) => {
      const s = b.scores.find((x) => x.name === name);
      if (!s) return "-";
      const text = `${pct(s.testAccuracy)} (${range(s.interval)})`;
      return s === best ? `**${text}**` : text;
    };
    const parts = b.scores.map((s) => `${baselineLabel(s.name)} ${secs(s.seconds)}`).join(", ");
    rows.push([labels(b.labelsUsed, b.labelFraction), ...names.map(cell), `${secs(b.seconds)} (${parts})`, b.backend]);
  }
  return markdown(rows);
}
