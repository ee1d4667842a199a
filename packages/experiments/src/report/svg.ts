// A small self-contained SVG line chart of test accuracy against label fraction (log scale), one series per kind
// of arm, and the best baseline at each fraction as a dashed line of squares; an arm that does not beat it is ringed
// in red. Written by hand so the report needs no plotting library and renders in any browser or README.
import { baselinesAt, bestBaseline, compareWithBaselines } from "./compare";
import { baselineLabel, type ArmKind, type ExperimentResults } from "./types";

const SERIES: { kind: ArmKind; label: string; color: string; dash?: string }[] = [
  { kind: "supervised", label: "supervised only", color: "#6b7280" },
  { kind: "simclr-teacher", label: "SimCLR teacher (fine-tuned)", color: "#2563eb" },
  { kind: "simclr-student", label: "SimCLR student (distilled)", color: "#16a34a" },
  { kind: "linear-eval", label: "linear eval of pretrained encoder", color: "#d97706" },
];

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (x: number) => +x.toFixed(2);

const BASELINE_COLOR = "#9f1239";

export function accuracyPlotSvg(r: Pick<ExperimentResults, "arms" | "budget" | "dataset" | "testImages" | "baselines">, options: { width?: number; height?: number } = {}): string {
  const W = options.width ?? 640,
    H = options.height ?? 400;
  const m = { left: 56, right: 16, top: 36, bottom: 96 };
  const pw = W - m.left - m.right,
    ph = H - m.top - m.bottom;
  const baselines = (r.baselines ?? []).map((b) => ({ f: b.labelFraction, best: bestBaseline(baselinesAt(r, b.labelFraction)) })).filter((b) => b.best);
  const comparisons = new Map(compareWithBaselines(r).map((c) => [c.arm, c]));
  const fractions = [...r.arms.map((a) => a.labelFraction), ...baselines.map((b) => b.f)].filter((f) => f > 0);
  // The axis spans the fractions that occur (a decade around one lone fraction), so few points never crowd a corner.
  let lo = Math.log10(Math.min(...fractions)),
    hi = Math.log10(Math.max(...fractions));
  if (hi - lo < 1e-9) [lo, hi] = [lo - 0.5, hi + 0.5];
  const span = hi - lo;
  const x = (f: number) => m.left + (pw * (Math.log10(f) - lo + 0.05 * span)) / (1.1 * span);
  // Accuracy axis from the nearest 10% below the worst arm (at most chance-level 0) to 100%.
  const minAcc = Math.min(...r.arms.map((a) => a.testAccuracy), ...baselines.map((b) => b.best!.testAccuracy), 1);
  const yLo = Math.max(0, Math.floor(minAcc * 10 - 0.5) / 10);
  const y = (acc: number) => m.top + ph * (1 - (acc - yLo) / (1 - yLo));
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(`Test accuracy vs label fraction (${r.dataset}, ${r.budget})`)}</text>`);
  for (let t = Math.ceil(yLo * 10); t <= 10; t++) {
    const yy = fmt(y(t / 10));
    out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${yy}" y2="${yy}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${m.left - 6}" y="${yy + 4}" text-anchor="end">${t * 10}%</text>`);
  }
  for (const f of [...new Set(fractions)].sort((a, b) => a - b)) {
    const xx = fmt(x(f));
    out.push(`<line x1="${xx}" x2="${xx}" y1="${m.top}" y2="${m.top + ph}" stroke="#f3f4f6"/>`);
    out.push(`<text x="${xx}" y="${m.top + ph + 16}" text-anchor="middle">${+(f * 100).toPrecision(3)}%</text>`);
  }
  out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${m.top + ph}" y2="${m.top + ph}" stroke="#111827"/>`);
  out.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + ph}" stroke="#111827"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${m.top + ph + 34}" text-anchor="middle">fraction of training labels (log scale)</text>`);
  out.push(`<text transform="translate(14 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">test accuracy</text>`);
  let legendX = m.left;
  let legendY = H - 40;
  const pct = (acc: number) => `${(acc * 100).toFixed(1)}%`;
  const legend = (label: string, color: string) => {
    // Entries flow left to right and wrap to a second row (text width estimated at ~6.2 px a character).
    const width = 14 + label.length * 6.2 + 16;
    if (legendX + width > W - m.right && legendX > m.left) {
      legendX = m.left;
      legendY += 18;
    }
    out.push(`<rect x="${legendX}" y="${legendY - 9}" width="10" height="10" fill="${color}"/>`);
    out.push(`<text x="${legendX + 14}" y="${legendY}">${escapeXml(label)}</text>`);
    legendX += width;
  };
  if (baselines.length > 0) {
    const points = [...baselines].sort((a, b) => a.f - b.f);
    const path = points.map((b) => `${fmt(x(b.f))},${fmt(y(b.best!.testAccuracy))}`).join(" ");
    if (points.length > 1) out.push(`<polyline points="${path}" fill="none" stroke="${BASELINE_COLOR}" stroke-width="1.5" stroke-dasharray="5 4"/>`);
    for (const b of points) {
      const title = `best baseline at ${+(b.f * 100).toPrecision(3)}%: ${baselineLabel(b.best!.name)} ${pct(b.best!.testAccuracy)}`;
      out.push(
        `<rect x="${fmt(x(b.f) - 4)}" y="${fmt(y(b.best!.testAccuracy) - 4)}" width="8" height="8" fill="#ffffff" stroke="${BASELINE_COLOR}" stroke-width="1.5"><title>${escapeXml(title)}</title></rect>`,
      );
    }
  }
  for (const s of SERIES) {
    const points = r.arms.filter((a) => a.kind === s.kind).sort((a, b) => a.labelFraction - b.labelFraction);
    if (points.length === 0) continue;
    const path = points.map((a) => `${fmt(x(a.labelFraction))},${fmt(y(a.testAccuracy))}`).join(" ");
    if (points.length > 1) out.push(`<polyline points="${path}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    for (const a of points) {
      const c = comparisons.get(a)!;
      const behind = c.beats === false;
      const title = `${a.name}: ${pct(a.testAccuracy)}${behind ? ` (does not beat the best baseline, ${baselineLabel(c.best!.name)} ${pct(c.best!.testAccuracy)})` : ""}`;
      const ring = behind ? ` stroke="${BASELINE_COLOR}" stroke-width="2.5"` : "";
      out.push(`<circle cx="${fmt(x(a.labelFraction))}" cy="${fmt(y(a.testAccuracy))}" r="${behind ? 5 : 4}" fill="${s.color}"${ring}><title>${escapeXml(title)}</title></circle>`);
    }
    legend(s.label, s.color);
  }
  if (baselines.length > 0) legend("best baseline (ringed arms: not above it)", BASELINE_COLOR);
  out.push(`</svg>`);
  return `${out.join("\n")}\n`;
}
