"use client";
// A small line chart drawn by hand in SVG (training curves): one series, x = training step, nice round y ticks,
// gaps where a value is missing. Sized to its container's width.
import { useRef } from "react";
import { extent, linearScale, linePath, niceDomain, niceTicks } from "~/lib/charts/scale";
import { useElementWidth } from "~/lib/use-element-width";

export interface ChartPoint {
  x: number;
  y: number | null;
}

const margin = { top: 8, right: 12, bottom: 22, left: 44 };

export function LineChart({
  points,
  label,
  color = "#4f46e5",
  height = 160,
  format = (v) => String(v),
  yDomain,
  testId,
}: {
  points: ChartPoint[];
  label: string;
  color?: string;
  height?: number;
  format?: (v: number) => string;
  /** A fixed y range (e.g. 0-1 for accuracy); otherwise the data's, rounded to nice ticks. */
  yDomain?: { min: number; max: number };
  testId?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const width = Math.max(200, useElementWidth(box));
  const values = points.map((p) => p.y).filter((y): y is number => y !== null && Number.isFinite(y));
  const xd = extent(
    points.map((p) => p.x),
    { min: 0, max: 1 },
  );
  const yd = yDomain ?? niceDomain(extent(values), 4);
  const sx = linearScale(xd, margin.left, width - margin.right);
  const sy = linearScale(yd, height - margin.bottom, margin.top);
  const yTicks = niceTicks(yd, 4);
  const xTicks = niceTicks(xd, Math.max(2, Math.floor(width / 110)));
  const d = linePath(points, sx, sy);
  const last = [...points].reverse().find((p) => p.y !== null);
  return (
    <div ref={box} className="w-full" data-testid={testId} data-points={values.length}>
      <svg width={width} height={height} role="img" aria-label={`${label}: ${values.length} points${last?.y != null ? `, latest ${format(last.y)}` : ""}`} className="block">
        {yTicks.map((t) => (
          <g key={`y${t}`}>
            <line x1={margin.left} x2={width - margin.right} y1={sy(t)} y2={sy(t)} stroke="#e2e8f0" />
            <text x={margin.left - 6} y={sy(t)} dy="0.32em" textAnchor="end" className="fill-slate-400 text-[10px] tabular-nums">
              {format(t)}
            </text>
          </g>
        ))}
        {xTicks.map((t) => (
          <text key={`x${t}`} x={sx(t)} y={height - 6} textAnchor="middle" className="fill-slate-400 text-[10px] tabular-nums">
            {t}
          </text>
        ))}
        {values.length === 0 ? (
          <text x={width / 2} y={height / 2} textAnchor="middle" className="fill-slate-400 text-xs">
            No {label.toLowerCase()} yet
          </text>
        ) : (
          <>
            <path d={d} fill="none" stroke={color} strokeWidth={1.75} strokeLinejoin="round" strokeLinecap="round" />
            {last && last.y !== null && <circle cx={sx(last.x)} cy={sy(last.y)} r={3} fill={color} />}
          </>
        )}
      </svg>
    </div>
  );
}
