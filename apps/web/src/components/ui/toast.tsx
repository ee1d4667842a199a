"use client";
// A short message at the bottom of the screen, with at most one action ("Undo"); it goes away by itself.
import { type ReactNode, useCallback, useEffect, useState } from "react";

export interface ToastMessage {
  text: ReactNode;
  tone?: "info" | "error";
  action?: { label: string; run: () => void };
}

export function useToast(durationMs = 6_000) {
  const [toast, setToast] = useState<(ToastMessage & { id: number }) | null>(null);
  const show = useCallback((t: ToastMessage) => setToast({ ...t, id: Date.now() + Math.random() }), []);
  const dismiss = useCallback(() => setToast(null), []);
  useEffect(() => {
    if (!toast) return;
    const timer = setTimeout(() => setToast(null), toast.tone === "error" ? durationMs * 1.5 : durationMs);
    return () => clearTimeout(timer);
  }, [toast, durationMs]);
  const element = toast ? <Toast key={toast.id} toast={toast} onDismiss={dismiss} /> : null;
  return { show, dismiss, element };
}

function Toast({ toast, onDismiss }: { toast: ToastMessage; onDismiss: () => void }) {
  return (
    <div className="pointer-events-none fixed inset-x-0 bottom-6 z-[60] flex justify-center px-4">
      <div
        role={toast.tone === "error" ? "alert" : "status"}
        data-testid="toast"
        className={`pointer-events-auto flex max-w-lg items-center gap-4 rounded-lg px-4 py-2.5 text-sm shadow-lg ${toast.tone === "error" ? "bg-rose-700 text-white" : "bg-slate-900 text-white"}`}
      >
        <span className="min-w-0">{toast.text}</span>
        {toast.action && (
          <button
            type="button"
            data-testid="toast-action"
            className="shrink-0 font-semibold text-indigo-300 hover:text-indigo-200"
            onClick={() => {
              toast.action!.run();
              onDismiss();
            }}
          >
            {toast.action.label}
          </button>
        )}
        <button type="button" aria-label="Dismiss" className="shrink-0 text-white/60 hover:text-white" onClick={onDismiss}>
          ✕
        </button>
      </div>
    </div>
  );
}
