"use client";
// The people in a project: owners change roles and remove members; anyone can leave.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import type { Member } from "~/lib/api-types";
import { errorMessage } from "~/lib/errors";
import { formatDate } from "~/lib/format";
import { useTRPC } from "~/lib/trpc";
import { useMe } from "~/lib/use-me";
import { Alert } from "../ui/alert";
import { RoleBadge } from "../ui/badge";
import { Button } from "../ui/button";
import { Card } from "../ui/card";
import { LoadingPanel } from "../ui/spinner";
import { RoleSelect } from "./role-select";

export function MembersPanel({ projectId, editable }: { projectId: string; editable: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const me = useMe().data;
  const members = useQuery(trpc.members.list.queryOptions({ projectId }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.members.pathKey() });
  const setRole = useMutation(trpc.members.setRole.mutationOptions({ onSettled: () => Promise.all([refresh(), queryClient.invalidateQueries({ queryKey: trpc.projects.pathKey() })]) }));
  const remove = useMutation(trpc.members.remove.mutationOptions({ onSettled: refresh }));
  const leave = useMutation(
    trpc.members.leave.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.projects.list.queryKey() });
        router.replace("/");
      },
    }),
  );
  const error = setRole.error ?? remove.error ?? leave.error;
  // The last owner cannot leave (the server refuses it too): a project always has someone who can manage it.
  const owners = members.data?.filter((m) => m.role === "OWNER") ?? [];
  const soleOwner = owners.length === 1 && owners[0]!.userId === me?.id;

  return (
    <Card
      title="Members"
      description={editable ? "Who works on this project, and what they may do." : "Only owners can change roles."}
      actions={
        soleOwner ? (
          <span className="text-xs text-slate-500" data-testid="sole-owner-note">
            You are the only owner: make someone else an owner before you leave.
          </span>
        ) : (
          <Button
            size="sm"
            variant="secondary"
            loading={leave.isPending}
            disabled={!members.data}
            data-testid="leave-project"
            onClick={() => window.confirm("Leave this project? You will need a new invite to come back.") && leave.mutate({ projectId })}
          >
            Leave project
          </Button>
        )
      }
    >
      {error && (
        <div className="mb-3">
          <Alert>{errorMessage(error)}</Alert>
        </div>
      )}
      {members.isPending ? (
        <LoadingPanel />
      ) : members.isError ? (
        <Alert>{errorMessage(members.error)}</Alert>
      ) : (
        <ul className="divide-y divide-slate-100" data-testid="members-list">
          {members.data.map((m) => (
            <MemberRow
              key={m.userId}
              member={m}
              isMe={m.userId === me?.id}
              editable={editable}
              busy={setRole.isPending || remove.isPending}
              onRole={(role) => setRole.mutate({ projectId, userId: m.userId, role })}
              onRemove={() => window.confirm(`Remove ${m.name} from this project?`) && remove.mutate({ projectId, userId: m.userId })}
            />
          ))}
        </ul>
      )}
    </Card>
  );
}

function MemberRow({ member, isMe, editable, busy, onRole, onRemove }: { member: Member; isMe: boolean; editable: boolean; busy: boolean; onRole: (r: Member["role"]) => void; onRemove: () => void }) {
  return (
    <li className="flex flex-wrap items-center gap-3 py-2.5" data-testid="member-row">
      <span className="grid size-8 shrink-0 place-items-center rounded-full bg-slate-100 text-sm font-semibold text-slate-600" aria-hidden="true">
        {member.name.slice(0, 1).toUpperCase()}
      </span>
      <div className="min-w-0 flex-1">
        <div className="truncate text-sm font-medium text-slate-900">
          {member.name} {isMe && <span className="font-normal text-slate-500">(you)</span>}
        </div>
        <div className="truncate text-xs text-slate-500">
          {member.email} · joined {formatDate(member.since)}
        </div>
      </div>
      {editable ? (
        <>
          <RoleSelect value={member.role} onChange={onRole} disabled={busy} short label={`Role of ${member.name}`} />
          {!isMe && (
            <Button size="sm" variant="dangerGhost" onClick={onRemove} disabled={busy}>
              Remove
            </Button>
          )}
        </>
      ) : (
        <RoleBadge role={member.role} />
      )}
    </li>
  );
}
