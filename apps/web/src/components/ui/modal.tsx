"use client";
// A dialog over the page: closes on Escape or a click on the backdrop, and keeps the page behind from scrolling.
import { type ReactNode, useEffect } from "react";

export function Modal({ onClose, label, children, wide = false }: { onClose: () => void; label: string; children: ReactNode; wide?: boolean }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") onClose();
    };
    window.addEventListener("keydown", onKey);
    const overflow = document.body.style.overflow;
    document.body.style.overflow = "hidden";
    return () => {
      window.removeEventListener("keydown", onKey);
      document.body.style.overflow = overflow;
    };
  }, [onClose]);
  return (
    <div className="fixed inset-0 z-50 flex items-center justify-center bg-slate-900/60 p-4" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div role="dialog" aria-modal="true" aria-label={label} className={`max-h-full w-full overflow-auto rounded-xl bg-white shadow-2xl ${wide ? "max-w-5xl" : "max-w-lg"}`}>
        {children}
      </div>
    </div>
  );
}
