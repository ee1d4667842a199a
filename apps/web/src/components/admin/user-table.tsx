"use client";
// Every account: its projects and sessions, whether it is disabled or locked out of signing in; disable or enable
// it (disabling ends its sessions and open tabs at once) and lift a sign-in lock.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Alert } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { Button } from "~/components/ui/button";
import { Card } from "~/components/ui/card";
import { CopyField } from "~/components/ui/copy-field";
import { LoadingPanel } from "~/components/ui/spinner";
import { errorMessage } from "~/lib/errors";
import { formatDate } from "~/lib/format";
import { useTRPC } from "~/lib/trpc";
import { useMe } from "~/lib/use-me";

export function UserTable() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useMe();
  const users = useQuery(trpc.admin.users.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.admin.users.queryKey() });
  const setDisabled = useMutation(trpc.admin.setDisabled.mutationOptions({ onSuccess: refresh }));
  const lift = useMutation(trpc.admin.liftSignInLock.mutationOptions({ onSuccess: refresh }));
  const [resetFor, setResetFor] = useState<{ email: string; url: string } | null>(null);
  const reset = useMutation(trpc.admin.createPasswordReset.mutationOptions());
  return (
    <Card title="Accounts" description={users.data ? `${users.data.length} on this instance.` : undefined}>
      {users.isPending ? (
        <LoadingPanel label="Loading accounts…" />
      ) : users.isError ? (
        <Alert>{errorMessage(users.error)}</Alert>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm" data-testid="admin-users">
            <thead className="text-xs text-slate-500">
              <tr>
                <th className="py-2 pr-4 font-medium">Account</th>
                <th className="py-2 pr-4 font-medium">Since</th>
                <th className="py-2 pr-4 font-medium">Projects</th>
                <th className="py-2 pr-4 font-medium">Sessions</th>
                <th className="py-2 pr-4 font-medium">Status</th>
                <th className="py-2 font-medium" />
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {users.data.map((u) => (
                <tr key={u.id} data-testid="admin-user" data-email={u.email}>
                  <td className="py-2 pr-4">
                    <div className="font-medium text-slate-900">{u.name}</div>
                    <div className="text-xs text-slate-500">{u.email}</div>
                  </td>
                  <td className="py-2 pr-4 text-slate-600">{formatDate(u.createdAt)}</td>
                  <td className="max-w-xs py-2 pr-4 text-slate-600" data-testid="admin-user-projects">
                    {u.projects.length === 0 ? (
                      <span className="text-slate-400">none</span>
                    ) : (
                      <span title={u.projects.map((p) => `${p.name} (${p.role.toLowerCase()})`).join(", ")}>
                        {u.projects
                          .slice(0, 3)
                          .map((p) => p.name)
                          .join(", ")}
                        {u.projects.length > 3 && ` and ${u.projects.length - 3} more`}
                      </span>
                    )}
                  </td>
                  <td className="py-2 pr-4 text-slate-600">{u.sessions}</td>
                  <td className="space-x-1 py-2 pr-4">
                    {u.isAdmin && <Badge className="bg-indigo-50 text-indigo-700 ring-indigo-200">admin</Badge>}
                    {u.disabledAt && <Badge className="bg-rose-50 text-rose-700 ring-rose-200">disabled</Badge>}
                    {u.signInLocked && <Badge className="bg-amber-50 text-amber-700 ring-amber-200">sign-in locked</Badge>}
                  </td>
                  <td className="space-x-1 py-2 text-right whitespace-nowrap">
                    <Button
                      size="sm"
                      variant="ghost"
                      onClick={() => reset.mutate({ userId: u.id }, { onSuccess: (r) => setResetFor({ email: u.email, url: `${window.location.origin}${r.path}` }) })}
                      loading={reset.isPending && reset.variables?.userId === u.id}
                      data-testid="create-reset"
                    >
                      Reset password
                    </Button>
                    {u.signInLocked && (
                      <Button size="sm" variant="ghost" onClick={() => lift.mutate({ userId: u.id })} loading={lift.isPending && lift.variables?.userId === u.id}>
                        Lift lock
                      </Button>
                    )}
                    {u.id !== me.data?.id && (
                      <Button
                        size="sm"
                        variant={u.disabledAt ? "secondary" : "dangerGhost"}
                        onClick={() => setDisabled.mutate({ userId: u.id, disabled: !u.disabledAt })}
                        loading={setDisabled.isPending && setDisabled.variables?.userId === u.id}
                        data-testid="toggle-disabled"
                      >
                        {u.disabledAt ? "Enable" : "Disable"}
                      </Button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {resetFor && (
        <div className="mt-4 space-y-2 rounded-md bg-slate-50 p-3 ring-1 ring-slate-200" data-testid="reset-link">
          <p className="text-sm text-slate-700">
            A one-time link for <span className="font-medium">{resetFor.email}</span> to set a new password, valid for a day. Send it to them; it is not shown again.
          </p>
          <CopyField value={resetFor.url} testId="reset-url" label="Password reset link" />
        </div>
      )}
      {(setDisabled.isError || lift.isError || reset.isError) && <Alert>{errorMessage(setDisabled.error ?? lift.error ?? reset.error)}</Alert>}
    </Card>
  );
}
