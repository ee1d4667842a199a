// Geometry of the embedding map: which points a lasso encloses, and which point is under the pointer, fast enough for
// 50,000 points on every pointer move (a uniform grid of buckets, not a scan of every point).

/** Whether (x, y) lies inside the polygon (even-odd rule; the polygon closes itself). */
export function insidePolygon(x: number, y: number, polygon: readonly (readonly [number, number])[]): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]!;
    const [xj, yj] = polygon[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** The indices of the points (xy: x0, y0, x1, y1, …) inside the polygon, in index order. */
export function pointsInPolygon(xy: ArrayLike<number>, polygon: readonly (readonly [number, number])[]): number[] {
  if (polygon.length < 3) return [];
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of polygon) [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
  const out: number[] = [];
  for (let i = 0; i < xy.length / 2; i++) {
    const x = xy[2 * i]!;
    const y = xy[2 * i + 1]!;
    if (x >= x0 && x <= x1 && y >= y0 && y <= y1 && insidePolygon(x, y, polygon)) out.push(i);
  }
  return out;
}

/** Points bucketed on a grid over 0-1 for nearest-point queries. */
export class PointIndex {
  private readonly cells: Map<number, number[]> = new Map();
  private readonly side: number;

  constructor(
    private readonly xy: ArrayLike<number>,
    /** Buckets per axis: about 4 points a bucket on average. */
    side = Math.max(1, Math.min(512, Math.round(Math.sqrt(xy.length / 2 / 4)))),
  ) {
    this.side = side;
    for (let i = 0; i < xy.length / 2; i++) {
      const key = this.cellOf(xy[2 * i]!, xy[2 * i + 1]!);
      const bucket = this.cells.get(key);
      if (bucket) bucket.push(i);
      else this.cells.set(key, [i]);
    }
  }

  private clampCell(v: number): number {
    return Math.min(this.side - 1, Math.max(0, Math.floor(v * this.side)));
  }

  private cellOf(x: number, y: number): number {
    return this.clampCell(y) * this.side + this.clampCell(x);
  }

  /** The point nearest to (x, y) within `radius` (map units), or null. */
  nearest(x: number, y: number, radius: number): number | null {
    const [cx0, cx1, cy0, cy1] = [this.clampCell(x - radius), this.clampCell(x + radius), this.clampCell(y - radius), this.clampCell(y + radius)];
    let best: number | null = null;
    let bestD = radius * radius;
    for (let cy = cy0; cy <= cy1; cy++) {
      for (let cx = cx0; cx <= cx1; cx++) {
        for (const i of this.cells.get(cy * this.side + cx) ?? []) {
          const d = (this.xy[2 * i]! - x) ** 2 + (this.xy[2 * i + 1]! - y) ** 2;
          if (d <= bestD) [best, bestD] = [i, d];
        }
      }
    }
    return best;
  }
}
