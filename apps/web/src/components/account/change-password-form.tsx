"use client";
// Changing one's password: the current one to prove it is you, the new one twice. Every other session ends.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Card } from "~/components/ui/card";
import { Field, inputClass } from "~/components/ui/field";
import { errorMessage, fieldErrors } from "~/lib/errors";
import { plural } from "~/lib/format";
import { useTRPC } from "~/lib/trpc";

export function ChangePasswordForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [repeat, setRepeat] = useState("");
  const [mismatch, setMismatch] = useState(false);
  const change = useMutation(
    trpc.auth.changePassword.mutationOptions({
      onSuccess: () => {
        setCurrent("");
        setNext("");
        setRepeat("");
        void queryClient.invalidateQueries({ queryKey: trpc.auth.sessions.queryKey() });
      },
    }),
  );
  const fields = fieldErrors(change.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setMismatch(next !== repeat);
    if (next === repeat) change.mutate({ currentPassword: current, newPassword: next });
  };
  return (
    <Card title="Password" description="Changing it signs you out everywhere else.">
      <form className="space-y-4" onSubmit={submit} data-testid="change-password">
        <Field label="Current password" error={change.error?.data?.code === "UNAUTHORIZED" ? errorMessage(change.error) : undefined}>
          {(id, describedBy) => (
            <input
              id={id}
              aria-describedby={describedBy}
              type="password"
              autoComplete="current-password"
              required
              className={inputClass()}
              value={current}
              onChange={(e) => setCurrent(e.target.value)}
            />
          )}
        </Field>
        <Field label="New password" error={fields.newPassword} hint="At least 8 characters.">
          {(id, describedBy) => (
            <input
              id={id}
              aria-describedby={describedBy}
              type="password"
              autoComplete="new-password"
              required
              className={inputClass(Boolean(fields.newPassword))}
              value={next}
              onChange={(e) => setNext(e.target.value)}
            />
          )}
        </Field>
        <Field label="New password again" error={mismatch ? "The two new passwords differ." : undefined}>
          {(id, describedBy) => (
            <input
              id={id}
              aria-describedby={describedBy}
              type="password"
              autoComplete="new-password"
              required
              className={inputClass(mismatch)}
              value={repeat}
              onChange={(e) => setRepeat(e.target.value)}
            />
          )}
        </Field>
        {change.isError && change.error.data?.code !== "UNAUTHORIZED" && !fields.newPassword && <Alert>{errorMessage(change.error)}</Alert>}
        {change.isSuccess && (
          <p className="text-sm text-emerald-700" data-testid="password-changed">
            Password changed{change.data.otherSessionsEnded ? `; ${plural(change.data.otherSessionsEnded, "other session")} signed out` : ""}.
          </p>
        )}
        <Button type="submit" variant="primary" loading={change.isPending}>
          Change password
        </Button>
      </form>
    </Card>
  );
}
