"use client";
// A small "live / reconnecting" badge: whether changes from the team are arriving right now, and labels still unsent.
import { useConnectionStatus, useLiveError } from "~/lib/realtime/use-project-live";

const looks = {
  live: { dot: "bg-emerald-500", text: "Live", title: "Connected: changes from your team appear as they happen." },
  connecting: { dot: "bg-slate-400 animate-pulse", text: "Connecting…", title: "Connecting to the live server." },
  reconnecting: { dot: "bg-amber-500 animate-pulse", text: "Reconnecting…", title: "Connection lost. Your labels are kept and sent when it is back; nothing is missed." },
  "signed-out": { dot: "bg-rose-500", text: "Offline", title: "The live connection was refused: sign in again." },
} as const;

export function LiveIndicator({ projectId, dark = false }: { projectId: string; dark?: boolean }) {
  const { state: connection, unsynced } = useConnectionStatus();
  // Connected, but the project's room refused us (e.g. removed from the project meanwhile).
  const refused = useLiveError(projectId);
  const state = connection === "live" && refused ? "refused" : connection;
  const look = state === "refused" ? { dot: "bg-rose-500", text: "Not live", title: refused! } : looks[state];
  return (
    <span
      className={`inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${dark ? "text-slate-200 ring-white/15" : "text-slate-600 ring-slate-200"}`}
      title={look.title}
      data-testid="live-status"
      data-state={state}
    >
      <span className={`size-2 rounded-full ${look.dot}`} aria-hidden="true" />
      {look.text}
      {unsynced > 0 && (
        <span className={dark ? "text-amber-300" : "text-amber-700"} data-testid="unsynced">
          · {unsynced} unsent
        </span>
      )}
    </span>
  );
}
