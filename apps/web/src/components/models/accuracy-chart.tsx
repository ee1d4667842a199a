"use client";
// Held-out accuracy over the published versions, drawn by hand in SVG: one dot per measured version (coloured by
// what it is) with its 95% interval as a bar, the best baseline of each version as a dashed step (each version has its
// own, measured on its labels), and the serving
// teacher and student ringed, so a retrain that came out worse, or a model that loses to pixels, shows at a glance.
import { useRef } from "react";
import type { RouterOutputs } from "~/lib/api-types";
import { extent, linearScale, niceDomain, niceTicks, stepPath } from "~/lib/charts/scale";
import { baselineName, formatAccuracy, pct } from "~/lib/models/accuracy";
import { useElementWidth } from "~/lib/use-element-width";

type Version = RouterOutputs["models"]["list"][number];

const stageColors: Record<string, string> = { PRETRAIN: "#94a3b8", FINETUNE: "#4f46e5", DISTIL: "#059669" };
const stageWords: Record<string, string> = { PRETRAIN: "encoder (kNN)", FINETUNE: "teacher", DISTIL: "student" };
const baselineColor = "#d97706";
const margin = { top: 14, right: 12, bottom: 24, left: 40 };

export function AccuracyChart({ versions, height = 200 }: { versions: Version[]; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const width = Math.max(240, useElementWidth(box));
  const ordered = [...versions].sort((a, b) => a.version - b.version);
  const values = ordered.flatMap((v) => [v.metrics?.accuracy, v.metrics?.interval?.low, v.metrics?.interval?.high, v.bestBaseline?.accuracy]);
  const data = extent(values, { min: 0, max: 1 });
  const nice = niceDomain(data, 4);
  const yd = { min: Math.max(0, nice.min), max: Math.min(1, nice.max) };
  // Versions are categories: evenly spaced, whatever their numbers.
  const step = (width - margin.left - margin.right) / Math.max(1, ordered.length);
  const x = (i: number) => margin.left + step * (i + 0.5);
  const sy = linearScale(yd, height - margin.bottom, margin.top);
  const yTicks = niceTicks(yd, 4);
  const baseline = stepPath(
    ordered.map((v, i) => ({ x: i, y: v.bestBaseline?.accuracy ?? null })),
    x,
    sy,
    step * 0.45,
  );
  const measured = ordered.filter((v) => v.metrics).length;
  const labelEvery = Math.max(1, Math.ceil(ordered.length / Math.max(1, Math.floor((width - margin.left) / 34))));
  return (
    <div ref={box} className="w-full" data-testid="accuracy-chart" data-points={measured}>
      <svg width={width} height={height} role="img" aria-label={`Held-out accuracy of ${measured} measured versions`} className="block">
        {yTicks.map((t) => (
          <g key={`y${t}`}>
            <line x1={margin.left} x2={width - margin.right} y1={sy(t)} y2={sy(t)} stroke="#e2e8f0" />
            <text x={margin.left - 6} y={sy(t)} dy="0.32em" textAnchor="end" className="fill-slate-400 text-[10px] tabular-nums">
              {Math.round(t * 100)}%
            </text>
          </g>
        ))}
        {baseline && <path d={baseline} fill="none" stroke={baselineColor} strokeWidth={1.5} strokeDasharray="5 3" data-testid="baseline-line" />}
        {ordered.map((v, i) => {
          const cx = x(i);
          const color = stageColors[v.stage] ?? "#64748b";
          const m = v.metrics;
          const title = [
            `v${v.version} ${stageWords[v.stage] ?? v.stage}: ${m ? formatAccuracy(m) : "no accuracy yet"}`,
            v.bestBaseline && `best baseline ${baselineName(v.bestBaseline.name)} ${pct(v.bestBaseline.accuracy)}`,
            v.serving && `serving ${v.serving}`,
            v.regression && `regression: worse than v${v.regression.version}`,
          ]
            .filter(Boolean)
            .join("; ");
          return (
            <g key={v.id} data-testid="chart-version" data-version={v.version} data-serving={v.serving ?? undefined}>
              <title>{title}</title>
              {i % labelEvery === 0 || v.serving ? (
                <text x={cx} y={height - 8} textAnchor="middle" className={`text-[10px] tabular-nums ${v.serving ? "fill-slate-700 font-semibold" : "fill-slate-400"}`}>
                  v{v.version}
                </text>
              ) : null}
              {/* A wide invisible target so the tooltip shows anywhere in the version's column. */}
              <rect x={cx - step / 2} y={margin.top} width={step} height={height - margin.top - margin.bottom} fill="transparent" />
              {m ? (
                <>
                  {m.interval && (
                    <g stroke={color} strokeWidth={1.25} opacity={0.7}>
                      <line x1={cx} x2={cx} y1={sy(m.interval.low)} y2={sy(m.interval.high)} />
                      <line x1={cx - 3} x2={cx + 3} y1={sy(m.interval.low)} y2={sy(m.interval.low)} />
                      <line x1={cx - 3} x2={cx + 3} y1={sy(m.interval.high)} y2={sy(m.interval.high)} />
                    </g>
                  )}
                  {v.serving && <circle cx={cx} cy={sy(m.accuracy)} r={7} fill="none" stroke={color} strokeWidth={1.5} />}
                  <circle cx={cx} cy={sy(m.accuracy)} r={3.5} fill={v.regression ? "white" : color} stroke={color} strokeWidth={1.5} />
                </>
              ) : (
                // Unmeasured: a mark on the axis, not a dot at 0%.
                <text x={cx} y={height - margin.bottom - 4} textAnchor="middle" className="fill-slate-400 text-[10px]">
                  n/a
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <ul className="mt-1 flex flex-wrap gap-x-4 gap-y-1 text-[11px] text-slate-500">
        {(["FINETUNE", "DISTIL", "PRETRAIN"] as const)
          .filter((s) => ordered.some((v) => v.stage === s))
          .map((s) => (
            <li key={s} className="flex items-center gap-1">
              <span className="inline-block size-2 rounded-full" style={{ backgroundColor: stageColors[s] }} /> {stageWords[s]}
            </li>
          ))}
        {baseline && (
          <li className="flex items-center gap-1">
            <svg width="18" height="6" aria-hidden="true">
              <line x1="0" x2="18" y1="3" y2="3" stroke={baselineColor} strokeWidth="1.5" strokeDasharray="5 3" />
            </svg>
            best baseline
          </li>
        )}
        <li className="flex items-center gap-1">
          <span className="inline-block size-3 rounded-full ring-[1.5px] ring-slate-500 ring-inset" /> serving
        </li>
        {ordered.some((v) => v.regression) && (
          <li className="flex items-center gap-1">
            <span className="inline-block size-2 rounded-full bg-white ring-[1.5px] ring-slate-500" /> regression (not served)
          </li>
        )}
        <li>bars: 95% interval</li>
      </ul>
    </div>
  );
}
