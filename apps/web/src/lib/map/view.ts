// The map's view: where the 0-1 map square sits on the canvas (a scale and an offset in CSS pixels), zoomed around the
// pointer and panned by dragging, so a point under the pointer stays under it while zooming.

export interface MapView {
  scale: number;
  offsetX: number;
  offsetY: number;
}

export const MIN_ZOOM = 0.5;
export const MAX_ZOOM = 200;

/** The view that shows the whole map square, centred, in a canvas of this size. */
export function fitView(width: number, height: number): MapView {
  const scale = Math.max(1, Math.min(width, height));
  return { scale, offsetX: (width - scale) / 2, offsetY: (height - scale) / 2 };
}

export const toScreen = (v: MapView, x: number, y: number): [number, number] => [v.offsetX + x * v.scale, v.offsetY + y * v.scale];
export const toMap = (v: MapView, sx: number, sy: number): [number, number] => [(sx - v.offsetX) / v.scale, (sy - v.offsetY) / v.scale];

/** Zoomed by `factor` around the screen point (sx, sy), within MIN_ZOOM-MAX_ZOOM of the fitted scale `base`. */
export function zoomAt(v: MapView, sx: number, sy: number, factor: number, base: number): MapView {
  const scale = Math.min(base * MAX_ZOOM, Math.max(base * MIN_ZOOM, v.scale * factor));
  const [mx, my] = toMap(v, sx, sy);
  return { scale, offsetX: sx - mx * scale, offsetY: sy - my * scale };
}

export const panBy = (v: MapView, dx: number, dy: number): MapView => ({ ...v, offsetX: v.offsetX + dx, offsetY: v.offsetY + dy });
