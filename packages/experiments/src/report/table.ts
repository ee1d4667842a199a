// The results as a markdown table: one row per arm (and one for the shared pretraining), in run order.
import type { ExperimentResults } from "./types";

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const fraction = (f: number) => `${+(f * 100).toPrecision(3)}%`;
const secs = (s: number) => (s >= 100 ? s.toFixed(0) : s.toFixed(1));
const epochs = (e: number) => (e >= 10 ? e.toFixed(0) : e.toFixed(2));

export function resultsTable(r: ExperimentResults): string {
  const rows: string[][] = [["arm", "labels used", "test accuracy", "wall time (s)", "backend", "epochs"]];
  for (const a of r.arms) {
    rows.push([a.name, `${a.labelsUsed.toLocaleString("en-US")} (${fraction(a.labelFraction)})`, pct(a.testAccuracy), secs(a.seconds), a.backend, epochs(a.epochs)]);
  }
  if (r.pretrain) rows.push(["simclr-pretrain (shared, no labels)", "0", "-", secs(r.pretrain.seconds), r.backend, epochs(r.pretrain.epochs)]);
  const escape = (cell: string) => cell.replace(/\|/g, "\\|");
  const line = (cells: string[]) => `| ${cells.map(escape).join(" | ")} |`;
  return [line(rows[0]!), `| ${rows[0]!.map(() => "---").join(" | ")} |`, ...rows.slice(1).map(line)].join("\n") + "\n";
}
