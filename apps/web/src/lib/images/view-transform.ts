// How an image is looked at closely: zoom and pan (a scale and an offset of the image's fitted box inside its
// frame), brightness and contrast. Pure functions, so the stage's wheel, pinch, drag and keys all go through the same
// arithmetic and the rules (zoom about the pointer, never pan the image out of its frame) hold for each.

export interface ViewTransform {
  /** 1 = the whole image fitted in its frame. */
  scale: number;
  /** Offset of the scaled box's top-left corner from the frame's, in CSS pixels (<= 0 once zoomed in). */
  x: number;
  y: number;
  /** CSS filter factors, 1 = as stored. */
  brightness: number;
  contrast: number;
}

export const MIN_SCALE = 1;
export const MAX_SCALE = 32;
export const ZOOM_STEP = 1.25;
export const IDENTITY: ViewTransform = { scale: 1, x: 0, y: 0, brightness: 1, contrast: 1 };

export const isIdentity = (t: ViewTransform) => t.scale === 1 && t.x === 0 && t.y === 0 && t.brightness === 1 && t.contrast === 1;

export interface Frame {
  width: number;
  height: number;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** Keeps the zoomed box covering its frame: no pan beyond an edge, none at all at scale 1. */
export function clampPan(t: ViewTransform, frame: Frame): ViewTransform {
  return { ...t, x: clamp(t.x, frame.width * (1 - t.scale), 0), y: clamp(t.y, frame.height * (1 - t.scale), 0) };
}

/** Zooms by `factor` keeping the frame point `at` (CSS pixels from the frame's top-left; default its centre) still. */
export function zoomAt(t: ViewTransform, factor: number, frame: Frame, at: { x: number; y: number } = { x: frame.width / 2, y: frame.height / 2 }): ViewTransform {
  const scale = clamp(t.scale * factor, MIN_SCALE, MAX_SCALE);
  const k = scale / t.scale;
  return clampPan({ ...t, scale, x: at.x - (at.x - t.x) * k, y: at.y - (at.y - t.y) * k }, frame);
}

export function panBy(t: ViewTransform, dx: number, dy: number, frame: Frame): ViewTransform {
  return clampPan({ ...t, x: t.x + dx, y: t.y + dy }, frame);
}

/** The wheel's zoom factor for a wheel event's delta (pixels; a line is about 40): smooth on trackpads, a step a notch on mice. */
export function wheelFactor(deltaY: number, deltaMode: number): number {
  const pixels = deltaMode === 1 ? deltaY * 40 : deltaMode === 2 ? deltaY * 800 : deltaY;
  return Math.exp(-clamp(pixels, -200, 200) / 400);
}

/** The CSS transform and filter that show the image so. */
export function cssOf(t: ViewTransform): { transform: string; filter: string | undefined } {
  return {
    transform: `translate(${t.x}px, ${t.y}px) scale(${t.scale})`,
    filter: t.brightness === 1 && t.contrast === 1 ? undefined : `brightness(${t.brightness}) contrast(${t.contrast})`,
  };
}
