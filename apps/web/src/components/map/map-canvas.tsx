"use client";
// The embedding map's drawing surface: every point as a small square written straight into the canvas's pixel buffer
// (one typed-array write per pixel, no path per point), so that 50,000 points redraw within a frame while panning and
// zooming. Wheel zooms around the pointer, dragging pans, Shift-drag (or drag in lasso mode) draws a lasso whose points
// are selected on release (Ctrl/⌘ adds to the selection), a click on a point toggles it, hovering names the point.
import { type PointerEvent as ReactPointerEvent, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { PointIndex, pointsInPolygon } from "~/lib/map/geometry";
import { fitView, type MapView, panBy, toMap, toScreen, zoomAt } from "~/lib/map/view";

const BACKGROUND = 0xfffcfaf8; // slate-50, as a little-endian RGBA pixel
const SELECTED_RING = 0xffe5464f; // indigo-600 (#4f46e5), likewise
const HOVER_RADIUS_PX = 8;

export interface MapCanvasProps {
  /** x0, y0, x1, y1, … in 0-1. */
  xy: Float32Array;
  /** One colour per point (colours.ts). */
  pixels: Uint32Array;
  selected: ReadonlySet<number>;
  lassoMode: boolean;
  /** Changes to this number fit the whole map in view again. */
  fitSignal: number;
  onLasso: (indices: number[], additive: boolean) => void;
  onPointClick: (index: number) => void;
  onHover: (hover: { index: number; x: number; y: number } | null) => void;
}

export function MapCanvas({ xy, pixels, selected, lassoMode, fitSignal, onLasso, onPointClick, onHover }: MapCanvasProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [size, setSize] = useState({ width: 0, height: 0, dpr: 1 });
  const view = useRef<MapView | null>(null);
  const base = useRef(1);
  const drag = useRef<{ kind: "pan" | "lasso"; x: number; y: number; moved: boolean; path: [number, number][]; additive: boolean } | null>(null);
  const hover = useRef<number | null>(null);
  const frame = useRef<number | null>(null);
  const index = useRef<PointIndex | null>(null);
  const stats = useRef({ frames: 0, drawMs: 0 });

  useEffect(() => {
    index.current = new PointIndex(xy);
  }, [xy]);
  // A byte per point: a Set lookup per point per frame costs a frame's budget at 50,000 points with half selected.
  const selectedMask = useMemo(() => {
    const mask = new Uint8Array(xy.length / 2);
    for (const i of selected) if (i < mask.length) mask[i] = 1;
    return mask;
  }, [selected, xy]);

  // The canvas follows its box; the buffer is in device pixels for sharp points.
  useEffect(() => {
    const el = canvas.current?.parentElement;
    if (!el) return;
    const observer = new ResizeObserver(() => {
      const r = el.getBoundingClientRect();
      setSize({ width: Math.max(1, Math.floor(r.width)), height: Math.max(1, Math.floor(r.height)), dpr: Math.min(2, window.devicePixelRatio || 1) });
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const draw = useCallback(() => {
    frame.current = null;
    const c = canvas.current;
    const v = view.current;
    const ctx = c?.getContext("2d");
    if (!c || !v || !ctx) return;
    const started = performance.now();
    const { width, height, dpr } = size;
    const [w, h] = [Math.round(width * dpr), Math.round(height * dpr)];
    const image = ctx.createImageData(w, h);
    const buf = new Uint32Array(image.data.buffer);
    buf.fill(BACKGROUND);
    // Points are bigger where there are few of them, and grow as one zooms in, so neighbourhoods stay readable.
    const n = xy.length / 2;
    const half = Math.round(dpr * Math.min(5, (n <= 2_000 ? 2.5 : n <= 20_000 ? 1.5 : 1) + Math.max(0, Math.log2(v.scale / base.current))));
    const square = (px: number, py: number, half: number, colour: number) => {
      const [x0, x1, y0, y1] = [Math.max(0, px - half), Math.min(w - 1, px + half), Math.max(0, py - half), Math.min(h - 1, py + half)];
      for (let y = y0; y <= y1; y++) buf.fill(colour, y * w + x0, y * w + x1 + 1);
    };
    const ring = half + Math.max(1, Math.round(dpr));
    for (let i = 0; i < n; i++) {
      const px = Math.round((v.offsetX + xy[2 * i]! * v.scale) * dpr);
      const py = Math.round((v.offsetY + xy[2 * i + 1]! * v.scale) * dpr);
      if (px < -ring || py < -ring || px >= w + ring || py >= h + ring) continue;
      if (selectedMask[i]) square(px, py, ring, SELECTED_RING);
      square(px, py, half, pixels[i]!);
    }
    ctx.putImageData(image, 0, 0);
    ctx.save();
    ctx.scale(dpr, dpr);
    if (hover.current !== null && hover.current < n) {
      const [sx, sy] = toScreen(v, xy[2 * hover.current]!, xy[2 * hover.current + 1]!);
      ctx.strokeStyle = "#0f172a";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(sx, sy, 7, 0, Math.PI * 2);
      ctx.stroke();
    }
    const lasso = drag.current?.kind === "lasso" ? drag.current.path : null;
    if (lasso && lasso.length > 1) {
      ctx.fillStyle = "rgba(79, 70, 229, 0.08)";
      ctx.strokeStyle = "#4f46e5";
      ctx.setLineDash([5, 4]);
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      lasso.forEach(([x, y], k) => (k === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
      ctx.closePath();
      ctx.fill();
      ctx.stroke();
    }
    ctx.restore();
    stats.current = { frames: stats.current.frames + 1, drawMs: performance.now() - started };
    c.dataset.frames = String(stats.current.frames);
    c.dataset.drawMs = stats.current.drawMs.toFixed(2);
  }, [size, xy, pixels, selectedMask]);

  const redraw = useCallback(() => {
    if (frame.current === null) frame.current = requestAnimationFrame(draw);
  }, [draw]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: fitSignal is the parent's request to fit the map again
  useEffect(() => {
    if (size.width <= 1) return;
    const fitted = fitView(size.width, size.height);
    base.current = fitted.scale;
    view.current = fitted;
    redraw();
  }, [size.width, size.height, fitSignal, redraw]);

  useEffect(() => {
    redraw();
    return () => {
      if (frame.current !== null) cancelAnimationFrame(frame.current);
      frame.current = null;
    };
  }, [redraw]);

  // Wheel zoom needs a non-passive listener to keep the page from scrolling.
  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const onWheel = (e: WheelEvent) => {
      if (!view.current) return;
      e.preventDefault();
      const rect = c.getBoundingClientRect();
      view.current = zoomAt(view.current, e.clientX - rect.left, e.clientY - rect.top, Math.exp(-e.deltaY * 0.0015), base.current);
      redraw();
    };
    c.addEventListener("wheel", onWheel, { passive: false });
    return () => c.removeEventListener("wheel", onWheel);
  }, [redraw]);

  const local = (e: ReactPointerEvent) => {
    const rect = canvas.current!.getBoundingClientRect();
    return [e.clientX - rect.left, e.clientY - rect.top] as [number, number];
  };
  const pointAt = (sx: number, sy: number) => {
    const v = view.current;
    if (!v || !index.current) return null;
    const [mx, my] = toMap(v, sx, sy);
    return index.current.nearest(mx, my, HOVER_RADIUS_PX / v.scale);
  };

  const onPointerDown = (e: ReactPointerEvent) => {
    if (e.button !== 0) return;
    const [x, y] = local(e);
    canvas.current?.setPointerCapture(e.pointerId);
    drag.current = { kind: lassoMode || e.shiftKey ? "lasso" : "pan", x, y, moved: false, path: [[x, y]], additive: e.ctrlKey || e.metaKey };
  };
  const onPointerMove = (e: ReactPointerEvent) => {
    const [x, y] = local(e);
    const d = drag.current;
    if (d) {
      if (Math.hypot(x - d.path[0]![0], y - d.path[0]![1]) > 3) d.moved = true;
      if (d.kind === "pan" && view.current) {
        view.current = panBy(view.current, x - d.x, y - d.y);
        [d.x, d.y] = [x, y];
      } else if (d.kind === "lasso") d.path.push([x, y]);
      redraw();
      return;
    }
    const hit = pointAt(x, y);
    if (hit !== hover.current) {
      hover.current = hit;
      redraw();
    }
    onHover(hit === null ? null : { index: hit, x, y });
  };
  const onPointerUp = (e: ReactPointerEvent) => {
    const d = drag.current;
    drag.current = null;
    if (!d) return;
    if (!d.moved) {
      const [x, y] = local(e);
      const hit = pointAt(x, y);
      if (hit !== null) onPointClick(hit);
    } else if (d.kind === "lasso" && view.current) {
      const v = view.current;
      onLasso(
        pointsInPolygon(
          xy,
          d.path.map(([sx, sy]) => toMap(v, sx, sy)),
        ),
        d.additive,
      );
    }
    redraw();
  };

  return (
    <canvas
      ref={canvas}
      width={Math.round(size.width * size.dpr)}
      height={Math.round(size.height * size.dpr)}
      style={{ width: size.width, height: size.height, touchAction: "none", cursor: lassoMode ? "crosshair" : "grab" }}
      className="block select-none"
      data-testid="map-canvas"
      data-points={xy.length / 2}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerLeave={() => {
        if (drag.current) return;
        hover.current = null;
        onHover(null);
        redraw();
      }}
      onDoubleClick={(e) => {
        if (!view.current) return;
        const rect = canvas.current!.getBoundingClientRect();
        view.current = zoomAt(view.current, e.clientX - rect.left, e.clientY - rect.top, 2, base.current);
        redraw();
      }}
    />
  );
}
