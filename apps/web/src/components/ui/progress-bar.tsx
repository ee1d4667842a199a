// An accessible progress bar; `value` undefined means indeterminate (work whose size is not known yet).
export function ProgressBar({ value, label, testId, tone = "indigo" }: { value: number | undefined; label: string; testId?: string; tone?: "indigo" | "emerald" }) {
  const pct = value === undefined ? undefined : Math.max(0, Math.min(100, Math.round(value)));
  const color = tone === "emerald" ? "bg-emerald-500" : "bg-indigo-600";
  return (
    <div role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} data-testid={testId} className="relative h-2 w-full overflow-hidden rounded-full bg-slate-200">
      {pct === undefined ? (
        <div className={`absolute inset-y-0 w-1/3 animate-pulse rounded-full ${color}`} style={{ left: "33%" }} />
      ) : (
        <div className={`h-full rounded-full transition-[width] duration-200 ${color}`} style={{ width: `${pct}%` }} />
      )}
    </div>
  );
}
