"use client";
// A frame in which an image can be looked at closely, as in CVAT or Label Studio: the mouse wheel (or a trackpad's
// pinch, or two fingers) zooms about the pointer, dragging pans once zoomed, and a small toolbar zooms, resets and sets
// brightness and contrast. Keys (wired by the page, which knows which keys its classes use): + and - zoom, 0 resets,
// Shift + arrows pan. The view itself (useImageView) belongs to the page, so it can be kept from one image to the next.
import { type ReactNode, useCallback, useEffect, useRef, useState } from "react";
import { cssOf, type Frame, IDENTITY, isIdentity, panBy, type ViewTransform, wheelFactor, ZOOM_STEP, zoomAt } from "~/lib/images/view-transform";

export interface ImageView {
  view: ViewTransform;
  set: (f: (t: ViewTransform, frame: Frame) => ViewTransform) => void;
  reset: () => void;
  /** Keep the view when the image changes (otherwise each image starts whole). */
  keep: boolean;
  setKeep: (keep: boolean) => void;
  /** The frame's size, measured by the stage. */
  frame: React.RefObject<Frame>;
}

/** The view of the image on screen; it starts over with each new `imageKey` unless the user asked to keep it. */
export function useImageView(imageKey: string | null): ImageView {
  const [view, setView] = useState<ViewTransform>(IDENTITY);
  const [keep, setKeep] = useState(false);
  const frame = useRef<Frame>({ width: 1, height: 1 });
  const set = useCallback((f: (t: ViewTransform, frame: Frame) => ViewTransform) => setView((t) => f(t, frame.current)), []);
  const reset = useCallback(() => setView(IDENTITY), []);
  const keepRef = useRef(keep);
  keepRef.current = keep;
  useEffect(() => {
    if (!keepRef.current) setView(IDENTITY);
  }, [imageKey]);
  return { view, set, reset, keep, setKeep, frame };
}

/**
 * The keys of the view, for a page's own keydown handler (after its class keys): true when the key was the view's.
 * `reserved`: keys the page's classes use, which stay theirs.
 */
export function handleViewKey(e: KeyboardEvent, v: ImageView, reserved: ReadonlySet<string>): boolean {
  if (reserved.has(e.key)) return false;
  const step = 60;
  if (e.key === "+" || e.key === "=") v.set((t, f) => zoomAt(t, ZOOM_STEP, f));
  else if (e.key === "-" || e.key === "_") v.set((t, f) => zoomAt(t, 1 / ZOOM_STEP, f));
  else if (e.key === "0") v.reset();
  else if (e.shiftKey && e.key === "ArrowLeft") v.set((t, f) => panBy(t, step, 0, f));
  else if (e.shiftKey && e.key === "ArrowRight") v.set((t, f) => panBy(t, -step, 0, f));
  else if (e.shiftKey && e.key === "ArrowUp") v.set((t, f) => panBy(t, 0, step, f));
  else if (e.shiftKey && e.key === "ArrowDown") v.set((t, f) => panBy(t, 0, -step, f));
  else return false;
  e.preventDefault();
  return true;
}

export function ZoomStage({ view: v, children, dark = true, testId = "zoom-stage" }: { view: ImageView; children: ReactNode; dark?: boolean; testId?: string }) {
  const frameEl = useRef<HTMLDivElement>(null);
  const pointers = useRef(new Map<number, { x: number; y: number }>());
  const { set, frame } = v;

  // The frame's size, for zooming about its centre and for keeping the image inside it.
  useEffect(() => {
    const el = frameEl.current;
    if (!el) return;
    const measure = () => (frame.current = { width: el.clientWidth || 1, height: el.clientHeight || 1 });
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, [frame]);

  // A non-passive wheel listener: the page must not scroll while the wheel zooms the image.
  useEffect(() => {
    const el = frameEl.current;
    if (!el) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const box = el.getBoundingClientRect();
      const at = { x: e.clientX - box.left, y: e.clientY - box.top };
      set((t, f) => zoomAt(t, wheelFactor(e.deltaY, e.deltaMode), f, at));
    };
    el.addEventListener("wheel", onWheel, { passive: false });
    return () => el.removeEventListener("wheel", onWheel);
  }, [set]);

  const local = (e: React.PointerEvent) => {
    const box = frameEl.current!.getBoundingClientRect();
    return { x: e.clientX - box.left, y: e.clientY - box.top };
  };
  const onPointerDown = (e: React.PointerEvent) => {
    if (e.button !== 0) return;
    frameEl.current!.setPointerCapture(e.pointerId);
    pointers.current.set(e.pointerId, local(e));
  };
  const onPointerMove = (e: React.PointerEvent) => {
    const ps = pointers.current;
    const before = ps.get(e.pointerId);
    if (!before) return;
    const now = local(e);
    if (ps.size === 2) {
      // Two fingers: the change of their distance zooms about their midpoint.
      const [other] = [...ps.entries()].filter(([id]) => id !== e.pointerId).map(([, p]) => p);
      const d0 = Math.hypot(before.x - other!.x, before.y - other!.y),
        d1 = Math.hypot(now.x - other!.x, now.y - other!.y);
      if (d0 > 0) set((t, f) => zoomAt(t, d1 / d0, f, { x: (now.x + other!.x) / 2, y: (now.y + other!.y) / 2 }));
    } else {
      set((t, f) => panBy(t, now.x - before.x, now.y - before.y, f));
    }
    ps.set(e.pointerId, now);
  };
  const onPointerUp = (e: React.PointerEvent) => pointers.current.delete(e.pointerId);

  const css = cssOf(v.view);
  const zoomed = v.view.scale > 1;
  const tone = dark ? "bg-black/60 text-slate-100 ring-white/15" : "bg-white/90 text-slate-700 ring-slate-200";
  const slider = (name: string, key: "brightness" | "contrast") => (
    <label className="flex items-center gap-1.5">
      <span className="w-16">{name}</span>
      <input
        type="range"
        min={0.2}
        max={3}
        step={0.05}
        value={v.view[key]}
        onChange={(e) => {
          const value = Number(e.target.value);
          set((t) => ({ ...t, [key]: value }));
        }}
        className="w-24 accent-indigo-400"
        data-testid={`view-${key}`}
        aria-label={name}
      />
      <span className="w-9 text-right tabular-nums">{Math.round(v.view[key] * 100)}%</span>
    </label>
  );

  return (
    <div className="relative size-full">
      <div
        ref={frameEl}
        className={`relative size-full touch-none overflow-hidden select-none ${zoomed ? "cursor-grab active:cursor-grabbing" : "cursor-zoom-in"}`}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
        onDoubleClick={(e) => {
          const box = frameEl.current!.getBoundingClientRect();
          const at = { x: e.clientX - box.left, y: e.clientY - box.top };
          if (zoomed) v.reset();
          else set((t, f) => zoomAt(t, 2, f, at));
        }}
        data-testid={testId}
        data-scale={v.view.scale.toFixed(3)}
        data-pan={`${Math.round(v.view.x)},${Math.round(v.view.y)}`}
      >
        <div className="size-full origin-top-left" style={{ transform: css.transform, filter: css.filter }}>
          {children}
        </div>
      </div>
      <div className={`absolute right-2 bottom-2 flex flex-wrap items-center gap-2 rounded-md px-2 py-1.5 text-xs ring-1 ring-inset ${tone}`} data-testid="view-toolbar">
        <button
          type="button"
          className="rounded px-1.5 font-semibold hover:bg-white/10"
          onClick={() => set((t, f) => zoomAt(t, 1 / ZOOM_STEP, f))}
          aria-label="Zoom out"
          title="Zoom out (−)"
          data-testid="view-zoom-out"
        >
          −
        </button>
        <span className="w-11 text-center tabular-nums" data-testid="view-zoom-level">
          {Math.round(v.view.scale * 100)}%
        </span>
        <button
          type="button"
          className="rounded px-1.5 font-semibold hover:bg-white/10"
          onClick={() => set((t, f) => zoomAt(t, ZOOM_STEP, f))}
          aria-label="Zoom in"
          title="Zoom in (+)"
          data-testid="view-zoom-in"
        >
          +
        </button>
        <details className="group relative">
          <summary className="cursor-pointer list-none rounded px-1.5 hover:bg-white/10" data-testid="view-adjust">
            ☀ Adjust
          </summary>
          <div className={`absolute right-0 bottom-7 flex flex-col gap-1.5 rounded-md p-2 shadow-lg ring-1 ring-inset ${tone}`}>
            {slider("Brightness", "brightness")}
            {slider("Contrast", "contrast")}
          </div>
        </details>
        <label className="flex items-center gap-1" title="Keep this zoom, pan and adjustment for the next images">
          <input type="checkbox" checked={v.keep} onChange={(e) => v.setKeep(e.target.checked)} className="accent-indigo-400" data-testid="view-keep" />
          Keep
        </label>
        <button type="button" className="rounded px-1.5 hover:bg-white/10 disabled:opacity-40" onClick={v.reset} disabled={isIdentity(v.view)} title="Reset the view (0)" data-testid="view-reset">
          Reset
        </button>
      </div>
    </div>
  );
}
