// Inline messages: errors from the api, and quieter notices.
import type { ReactNode } from "react";

const tones = {
  error: "bg-rose-50 text-rose-800 ring-rose-200",
  warning: "bg-amber-50 text-amber-800 ring-amber-200",
  success: "bg-emerald-50 text-emerald-800 ring-emerald-200",
  info: "bg-slate-50 text-slate-700 ring-slate-200",
} as const;

export function Alert({ tone = "error", children, action }: { tone?: keyof typeof tones; children: ReactNode; action?: ReactNode }) {
  return (
    <div role={tone === "error" ? "alert" : "status"} className={`flex items-start justify-between gap-3 rounded-md px-3 py-2 text-sm ring-1 ring-inset ${tones[tone]}`}>
      <div className="min-w-0">{children}</div>
      {action}
    </div>
  );
}
