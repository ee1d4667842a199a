// A small self-contained SVG line chart of test accuracy against label fraction (log scale), one series per kind
// of arm. Written by hand so the report needs no plotting library and renders in any browser or README.
import type { ArmKind, ExperimentResults } from "./types";

const SERIES: { kind: ArmKind; label: string; color: string; dash?: string }[] = [
  { kind: "supervised", label: "supervised only", color: "#6b7280" },
  { kind: "simclr-teacher", label: "SimCLR teacher (fine-tuned)", color: "#2563eb" },
  { kind: "simclr-student", label: "SimCLR student (distilled)", color: "#16a34a" },
  { kind: "linear-eval", label: "linear eval of pretrained encoder", color: "#d97706" },
];

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (x: number) => +x.toFixed(2);

export function accuracyPlotSvg(r: Pick<ExperimentResults, "arms" | "budget" | "dataset">, options: { width?: number; height?: number } = {}): string {
  const W = options.width ?? 640, H = options.height ?? 400;
  const m = { left: 56, right: 16, top: 36, bottom: 96 };
  const pw = W - m.left - m.right, ph = H - m.top - m.bottom;
  const fractions = r.arms.map((a) => a.labelFraction).filter((f) => f > 0);
  // The axis spans the fractions that occur (a decade around one lone fraction), so few points never crowd a corner.
  let lo = Math.log10(Math.min(...fractions)), hi = Math.log10(Math.max(...fractions));
  if (hi - lo < 1e-9) [lo, hi] = [lo - 0.5, hi + 0.5];
  const span = hi - lo;
  const x = (f: number) => m.left + (pw * (Math.log10(f) - lo + 0.05 * span)) / (1.1 * span);
  // Accuracy axis from the nearest 10% below the worst arm (at most chance-level 0) to 100%.
  const minAcc = Math.min(...r.arms.map((a) => a.testAccuracy), 1);
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
  for (const s of SERIES) {
    const points = r.arms.filter((a) => a.kind === s.kind).sort((a, b) => a.labelFraction - b.labelFraction);
    if (points.length === 0) continue;
    const path = points.map((a) => `${fmt(x(a.labelFraction))},${fmt(y(a.testAccuracy))}`).join(" ");
    if (points.length > 1) out.push(`<polyline points="${path}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    for (const a of points) {
      out.push(`<circle cx="${fmt(x(a.labelFraction))}" cy="${fmt(y(a.testAccuracy))}" r="4" fill="${s.color}"><title>${escapeXml(`${a.name}: ${(a.testAccuracy * 100).toFixed(1)}%`)}</title></circle>`);
    }
    // Entries flow left to right and wrap to a second row (text width estimated at ~6.2 px a character).
    const width = 14 + s.label.length * 6.2 + 16;
    if (legendX + width > W - m.right && legendX > m.left) {
      legendX = m.left;
      legendY += 18;
    }
    out.push(`<rect x="${legendX}" y="${legendY - 9}" width="10" height="10" fill="${s.color}"/>`);
    out.push(`<text x="${legendX + 14}" y="${legendY}">${escapeXml(s.label)}</text>`);
    legendX += width;
  }
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}
