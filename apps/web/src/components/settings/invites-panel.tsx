"use client";
// Invite links (owners): create one with a role and an expiry, copy its full URL (shown once), see and revoke the
// active ones.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { Role } from "~/lib/api-types";
import { errorMessage } from "~/lib/errors";
import { formatDate, roleName } from "~/lib/format";
import { useTRPC } from "~/lib/trpc";
import { Alert } from "../ui/alert";
import { RoleBadge } from "../ui/badge";
import { Button } from "../ui/button";
import { Card } from "../ui/card";
import { CopyField } from "../ui/copy-field";
import { inputClass } from "../ui/field";
import { LoadingPanel } from "../ui/spinner";
import { RoleSelect } from "./role-select";

const expiries = [1, 7, 30, 90];

export function InvitesPanel({ projectId }: { projectId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const invites = useQuery(trpc.invites.list.queryOptions({ projectId }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.invites.pathKey() });
  const [role, setRole] = useState<Role>("ANNOTATOR");
  const [days, setDays] = useState(7);
  const [created, setCreated] = useState<{ url: string; role: Role } | null>(null);
  const create = useMutation(
    trpc.invites.create.mutationOptions({
      onSuccess: (r) => {
        setCreated({ url: `${window.location.origin}${r.path}`, role: r.role });
        void refresh();
      },
    }),
  );
  const revoke = useMutation(trpc.invites.revoke.mutationOptions({ onSettled: refresh }));
  return (
    <Card title="Invite links" description="Anyone with a link can join with its role until it expires or you revoke it.">
      <div className="flex flex-wrap items-end gap-2">
        <RoleSelect value={role} onChange={setRole} label="Invite role" />
        <select aria-label="Expires after" value={days} onChange={(e) => setDays(Number(e.target.value))} className={inputClass(false, "w-auto py-1.5 pr-8")}>
          {expiries.map((d) => (
            <option key={d} value={d}>
              Expires in {d} {d === 1 ? "day" : "days"}
            </option>
          ))}
        </select>
        <Button variant="primary" loading={create.isPending} onClick={() => create.mutate({ projectId, role, expiresInDays: days })} data-testid="create-invite">
          Create link
        </Button>
      </div>
      {create.error && (
        <div className="mt-3">
          <Alert>{errorMessage(create.error)}</Alert>
        </div>
      )}
      {created && (
        <div className="mt-4 rounded-md bg-emerald-50 p-3 ring-1 ring-emerald-200">
          <p className="mb-2 text-sm text-emerald-800">Link for a new {roleName(created.role).toLowerCase()} created. Copy it now: it is not shown again.</p>
          <CopyField key={created.url} value={created.url} testId="invite-url" label="Invite link" />
        </div>
      )}
      <div className="mt-5">
        <h3 className="mb-2 text-xs font-medium tracking-wide text-slate-500 uppercase">Active links</h3>
        {revoke.error && <Alert>{errorMessage(revoke.error)}</Alert>}
        {invites.isPending ? (
          <LoadingPanel />
        ) : invites.isError ? (
          <Alert>{errorMessage(invites.error)}</Alert>
        ) : invites.data.length === 0 ? (
          <p className="text-sm text-slate-500">No active invite links.</p>
        ) : (
          <ul className="divide-y divide-slate-100" data-testid="invites-list">
            {invites.data.map((i) => (
              <li key={i.id} className="flex flex-wrap items-center gap-3 py-2 text-sm">
                <RoleBadge role={i.role} />
                <span className="flex-1 text-slate-600">
                  by {i.createdBy.name} · expires {formatDate(i.expiresAt)} · used {i.uses}
                  {i.maxUses !== null ? ` of ${i.maxUses}` : ""} {i.uses === 1 ? "time" : "times"}
                </span>
                <Button size="sm" variant="dangerGhost" onClick={() => revoke.mutate({ projectId, inviteId: i.id })} disabled={revoke.isPending}>
                  Revoke
                </Button>
              </li>
            ))}
          </ul>
        )}
      </div>
    </Card>
  );
}
