// Scales and paths for the small hand-drawn SVG charts (training curves): a linear map from data to pixels,
// "nice" round tick values, and polyline paths that break where a series has no value.

export interface Domain {
  min: number;
  max: number;
}

/** The extent of the finite values, widened when empty or flat so a scale never divides by zero. */
export function extent(values: readonly (number | null | undefined)[], fallback: Domain = { min: 0, max: 1 }): Domain {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === Infinity) return fallback;
  if (min === max) {
    const pad = Math.abs(min) * 0.1 || 0.5;
    return { min: min - pad, max: max + pad };
  }
  return { min, max };
}

/** Maps [domain.min, domain.max] onto [from, to] (to < from for a y axis that grows upwards). */
export function linearScale(domain: Domain, from: number, to: number): (v: number) => number {
  const span = domain.max - domain.min || 1;
  return (v) => from + ((v - domain.min) / span) * (to - from);
}

/** About `count` round tick values (1, 2 or 5 times a power of ten apart) covering the domain. */
export function niceTicks(domain: Domain, count = 4): number[] {
  const span = domain.max - domain.min;
  if (!(span > 0) || !Number.isFinite(span)) return [domain.min];
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const first = Math.ceil(domain.min / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = first; v <= domain.max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** The domain rounded outwards to the nice ticks around it, so the curve starts and ends on a grid line. */
export function niceDomain(domain: Domain, count = 4): Domain {
  const span = domain.max - domain.min;
  if (!(span > 0)) return domain;
  const ticks = niceTicks(domain, count);
  const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : span;
  return { min: Math.floor(domain.min / step + 1e-9) * step, max: Math.ceil(domain.max / step - 1e-9) * step };
}

/** An SVG path through the points; a missing y starts a new segment instead of drawing through the gap. */
export function linePath(points: readonly { x: number; y: number | null }[], sx: (v: number) => number, sy: (v: number) => number): string {
  let d = "";
  let pen = false;
  for (const p of points) {
    if (p.y === null || !Number.isFinite(p.y)) {
      pen = false;
      continue;
    }
    d += `${pen ? "L" : "M"}${round(sx(p.x))},${round(sy(p.y))}`;
    pen = true;
  }
  return d;
}

const round = (v: number) => Math.round(v * 10) / 10;

/**
 * A step line over categories: a level segment `halfWidth` either side of each point's x, joined to the next by a
 * vertical jump at their shared edge; a missing y leaves a gap. Draws a value that holds for one category (a version's
 * best baseline) where a line through the points would suggest values in between.
 */
export function stepPath(points: readonly { x: number; y: number | null }[], sx: (v: number) => number, sy: (v: number) => number, halfWidth: number): string {
  let d = "";
  let pen = false;
  for (const p of points) {
    if (p.y === null || !Number.isFinite(p.y)) {
      pen = false;
      continue;
    }
    const y = round(sy(p.y));
    d += `${pen ? "L" : "M"}${round(sx(p.x) - halfWidth)},${y}L${round(sx(p.x) + halfWidth)},${y}`;
    pen = true;
  }
  return d;
}
