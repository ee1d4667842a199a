// Small labels: roles, states, and class colour swatches.
import type { ReactNode } from "react";
import type { Role } from "~/lib/api-types";
import { roleName } from "~/lib/format";

const roleTones: Record<Role, string> = {
  OWNER: "bg-indigo-50 text-indigo-700 ring-indigo-200",
  REVIEWER: "bg-sky-50 text-sky-700 ring-sky-200",
  ANNOTATOR: "bg-slate-50 text-slate-600 ring-slate-200",
};

export function Badge({ children, className = "bg-slate-50 text-slate-600 ring-slate-200" }: { children: ReactNode; className?: string }) {
  return <span className={`inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${className}`}>{children}</span>;
}

export function RoleBadge({ role }: { role: Role }) {
  return <Badge className={roleTones[role]}>{roleName(role)}</Badge>;
}

export function ColorDot({ color, className = "size-2.5" }: { color: string; className?: string }) {
  return <span aria-hidden="true" className={`inline-block shrink-0 rounded-full ring-1 ring-black/10 ${className}`} style={{ backgroundColor: color }} />;
}
