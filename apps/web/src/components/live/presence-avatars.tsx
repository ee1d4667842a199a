"use client";
// Who is in the project right now: one round avatar each (initials, a colour per person), with what they look at.
import type { PresenceEntry } from "@fewlabel/realtime";
import { usePresence } from "~/lib/realtime/use-project-live";
import { useMe } from "~/lib/use-me";

const tones = ["#e11d48", "#d97706", "#059669", "#0284c7", "#7c3aed", "#c026d3", "#0d9488", "#ea580c"];

/** A stable colour per user, so a person has the same colour in the header and on grid tiles. */
export function personColor(userId: string): string {
  let h = 0;
  for (const ch of userId) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return tones[h % tones.length]!;
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return ((parts[0]?.[0] ?? "?") + (parts.length > 1 ? parts.at(-1)![0] : "")).toUpperCase();
}

export function Avatar({ entry, size = "md", ring }: { entry: Pick<PresenceEntry, "userId" | "name">; size?: "sm" | "md"; ring?: string }) {
  return (
    <span
      style={{ backgroundColor: personColor(entry.userId) }}
      className={`grid shrink-0 place-items-center rounded-full font-semibold text-white ${size === "sm" ? "size-5 text-[9px]" : "size-7 text-[11px]"} ${ring ?? "ring-2 ring-white"}`}
      aria-hidden="true"
    >
      {initials(entry.name)}
    </span>
  );
}

export function PresenceAvatars({ projectId, describe, dark = false }: { projectId: string; describe?: (imageId: string) => string | undefined; dark?: boolean }) {
  const people = usePresence(projectId);
  const me = useMe().data;
  const sorted = [...people].sort((a, b) => (a.userId === me?.id ? -1 : b.userId === me?.id ? 1 : a.name.localeCompare(b.name)));
  if (sorted.length === 0) return null;
  return (
    <ul className={`flex items-center ${sorted.length > 5 ? "-space-x-1.5" : "gap-1"}`} aria-label="Online now" data-testid="presence">
      {sorted.map((p) => {
        const what = p.imageId ? (describe?.(p.imageId) ?? "an image") : null;
        const label = `${p.name}${p.userId === me?.id ? " (you)" : ""}${what ? ` · looking at ${what}` : " · online"}`;
        return (
          <li key={p.userId} title={label} data-testid="presence-user" data-user-name={p.name} data-viewing={p.imageId ?? ""} className="relative">
            <Avatar entry={p} ring={dark ? "ring-2 ring-slate-900" : "ring-2 ring-white"} />
            {p.imageId && <span className={`absolute -right-0.5 -bottom-0.5 size-2 rounded-full bg-emerald-400 ring-2 ${dark ? "ring-slate-900" : "ring-white"}`} aria-hidden="true" />}
            <span className="sr-only">{label}</span>
          </li>
        );
      })}
    </ul>
  );
}
