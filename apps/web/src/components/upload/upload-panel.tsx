"use client";
// The upload's progress and outcome, docked at the bottom right so browsing can go on while it runs.
import type { UploadTally } from "~/lib/upload/run-upload";
import { formatBytes, formatCount, percent, plural } from "~/lib/format";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";
import { ProgressBar } from "../ui/progress-bar";
import { ProblemList } from "./problem-list";

export function UploadPanel({ tally, error, onCancel, onDismiss }: { tally: UploadTally | null; error: string | null; onCancel: () => void; onDismiss: () => void }) {
  if (!tally && !error) return null;
  const running = tally?.phase === "sending" || tally?.phase === "finishing";
  return (
    <aside className="fixed right-4 bottom-4 z-40 w-[min(26rem,calc(100vw-2rem))] rounded-xl bg-white shadow-2xl ring-1 ring-slate-200" aria-live="polite">
      <header className="flex items-center justify-between border-b border-slate-100 px-4 py-3">
        <h2 className="text-sm font-semibold text-slate-900">{error ? "Upload failed" : running ? "Uploading…" : tally?.phase === "cancelled" ? "Upload cancelled" : "Upload complete"}</h2>
        {running ? (
          <Button size="sm" variant="ghost" onClick={onCancel}>
            Cancel
          </Button>
        ) : (
          <Button size="sm" variant="ghost" onClick={onDismiss} aria-label="Close">
            ✕
          </Button>
        )}
      </header>
      <div className="max-h-[70vh] space-y-4 overflow-auto px-4 py-3">
        {error && <Alert>{error}</Alert>}
        {tally && <UploadProgress tally={tally} />}
        {tally && !running && <UploadResult tally={tally} />}
      </div>
    </aside>
  );
}

function UploadProgress({ tally }: { tally: UploadTally }) {
  const sentPct = tally.bytes > 0 ? (tally.sentBytes / tally.bytes) * 100 : tally.chunksDone === tally.chunksTotal ? 100 : 0;
  const processedPct = tally.expected === undefined ? undefined : tally.expected > 0 ? (tally.processed / tally.expected) * 100 : 100;
  return (
    <div className="space-y-3">
      <div className="space-y-1">
        <div className="flex justify-between text-xs text-slate-600">
          <span>Sending {plural(tally.files, "file")}</span>
          <span className="tabular-nums">
            {formatBytes(tally.sentBytes)} / {formatBytes(tally.bytes)} · {Math.round(sentPct)}%
          </span>
        </div>
        <ProgressBar value={sentPct} label="Upload progress" testId="upload-progress" />
      </div>
      <div className="space-y-1">
        <div className="flex justify-between text-xs text-slate-600">
          <span>Processing</span>
          <span className="tabular-nums" data-testid="upload-processed">
            {formatCount(tally.processed)}
            {/* Files, not images: the count takes in every entry the server reads, a stray text file or a corrupt image too. */}
            {tally.expected !== undefined ? ` / ${formatCount(tally.expected)}` : ""} files
            {processedPct !== undefined ? ` · ${percent(tally.processed, tally.expected ?? 0)}%` : ""}
          </span>
        </div>
        <ProgressBar value={processedPct} label="Processing progress" testId="upload-processing" tone="emerald" />
      </div>
      <p className="text-xs text-slate-500">
        Request {formatCount(tally.chunksDone)} of {formatCount(tally.chunksTotal)} done
        {tally.phase === "finishing" ? " · finishing…" : ""}
      </p>
    </div>
  );
}

function UploadResult({ tally }: { tally: UploadTally }) {
  const failedFiles = tally.failedBatches.reduce((s, b) => s + b.files, 0);
  return (
    <div data-testid="upload-result" className="space-y-3">
      <div className="grid grid-cols-3 gap-2 text-center">
        <Stat label="added" value={tally.accepted} testId="result-accepted" tone="text-emerald-700" />
        <Stat label="duplicates" value={tally.duplicates} testId="result-duplicates" tone="text-slate-700" />
        <Stat label="labelled" value={tally.labelled} testId="result-labelled" tone="text-indigo-700" />
      </div>
      {tally.failedBatches.length > 0 && (
        <Alert>
          {plural(failedFiles, "file")} were not sent:
          <ul className="mt-1 list-disc pl-4 text-xs">
            {tally.failedBatches.map((b, i) => (
              <li key={i}>
                {b.message} ({plural(b.files, "file")} from {b.firstPath})
              </li>
            ))}
          </ul>
        </Alert>
      )}
      {tally.rejected.length > 0 && <ProblemList title={`${plural(tally.rejected.length, "file")} rejected`} problems={tally.rejected} tone="rose" testId="rejected-list" />}
      {tally.warnings.length > 0 && <ProblemList title={plural(tally.warnings.length, "warning")} problems={tally.warnings} tone="amber" testId="warning-list" />}
      {tally.rejected.length === 0 && tally.failedBatches.length === 0 && tally.phase === "done" && <p className="text-sm text-emerald-700">Every file was accepted.</p>}
    </div>
  );
}

function Stat({ label, value, testId, tone }: { label: string; value: number; testId: string; tone: string }) {
  // Reads as "3 added" as text (tests, screen readers) while the number is set large above its label.
  return (
    <div className="rounded-lg bg-slate-50 px-2 py-2 text-xs text-slate-500" data-testid={testId} data-value={value}>
      <span className={`block text-lg font-semibold tabular-nums ${tone}`}>{formatCount(value)}</span> {label}
    </div>
  );
}
