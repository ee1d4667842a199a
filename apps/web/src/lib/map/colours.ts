// The colour of each point on the embedding map, by what the reviewer chose to see: the label people gave (class
// colours, unlabelled grey), the model's pending suggestion (class colours, none grey), or that suggestion's
// confidence (red unsure to green sure). Colours are packed as canvas pixels (ABGR in a Uint32, little-endian).

export type MapColouring = "label" | "suggestion" | "confidence";

export interface MapPointsData {
  label: readonly number[];
  suggestion: readonly number[];
  confidence: readonly number[];
}

/** "#rrggbb" (or "#rgb") as a little-endian RGBA pixel. */
export function pixelOf(hex: string, alpha = 255): number {
  const h = hex.replace("#", "");
  const full = h.length === 3 ? [...h].map((c) => c + c).join("") : h.padEnd(6, "0").slice(0, 6);
  const [r, g, b] = [0, 2, 4].map((i) => Number.parseInt(full.slice(i, i + 2), 16) || 0);
  return ((alpha << 24) | (b! << 16) | (g! << 8) | r!) >>> 0;
}

/** Points with no label (or no suggestion): slate-400, a little transparent. */
export const NONE_COLOUR = "#94a3b8";
export const NONE_PIXEL = pixelOf(NONE_COLOUR, 150);

/** A red-amber-green ramp for confidence 0-1. */
export function confidencePixel(c: number): number {
  const t = Math.min(1, Math.max(0, c));
  const [r, g, b] = t < 0.5 ? [220, Math.round(60 + 2 * t * 140), 40] : [Math.round(220 - (t - 0.5) * 2 * 190), 200 - Math.round((t - 0.5) * 40), 60];
  return ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

/** One pixel colour per point. */
export function pointPixels(data: MapPointsData, classColours: readonly string[], colouring: MapColouring): Uint32Array {
  const classPixels = classColours.map((c) => pixelOf(c));
  const n = data.label.length;
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const idx = colouring === "label" ? data.label[i]! : data.suggestion[i]!;
    if (colouring === "confidence") out[i] = data.confidence[i]! >= 0 ? confidencePixel(data.confidence[i]!) : NONE_PIXEL;
    else out[i] = idx >= 0 ? (classPixels[idx] ?? NONE_PIXEL) : NONE_PIXEL;
  }
  return out;
}
