"use client";
// Who may create an account: anyone, people following an invite link, or nobody.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert } from "~/components/ui/alert";
import { Card } from "~/components/ui/card";
import { LoadingPanel } from "~/components/ui/spinner";
import { errorMessage } from "~/lib/errors";
import { useTRPC } from "~/lib/trpc";

const POLICIES = [
  { value: "open", label: "Open", hint: "Anyone who can reach this server can create an account." },
  { value: "invite-only", label: "Invite only", hint: "Only someone following a project's invite link can create an account." },
  { value: "closed", label: "Closed", hint: "Nobody can create an account." },
] as const;

export function SignUpPolicyCard() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const settings = useQuery(trpc.admin.settings.queryOptions());
  const set = useMutation(trpc.admin.setSignUpPolicy.mutationOptions({ onSuccess: (data) => queryClient.setQueryData(trpc.admin.settings.queryKey(), data) }));
  return (
    <Card title="Sign-up" description="Who may create an account on this instance.">
      {settings.isPending ? (
        <LoadingPanel label="Loading settings…" />
      ) : settings.isError ? (
        <Alert>{errorMessage(settings.error)}</Alert>
      ) : (
        <fieldset className="space-y-2" data-testid="sign-up-policy" disabled={set.isPending}>
          <legend className="sr-only">Sign-up policy</legend>
          {POLICIES.map((p) => (
            <label key={p.value} className="flex cursor-pointer items-start gap-3 rounded-md p-2 hover:bg-slate-50">
              <input
                type="radio"
                name="sign-up-policy"
                className="mt-1"
                value={p.value}
                checked={(set.isPending ? set.variables.signUpPolicy : settings.data.signUpPolicy) === p.value}
                onChange={() => set.mutate({ signUpPolicy: p.value })}
              />
              <span>
                <span className="block text-sm font-medium text-slate-900">{p.label}</span>
                <span className="block text-xs text-slate-500">{p.hint}</span>
              </span>
            </label>
          ))}
        </fieldset>
      )}
      {set.isError && <Alert>{errorMessage(set.error)}</Alert>}
    </Card>
  );
}
