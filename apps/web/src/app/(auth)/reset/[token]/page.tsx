"use client";
// Setting a new password through the one-time link an administrator made; every session of the account ends.
import { useMutation, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useParams } from "next/navigation";
import { type FormEvent, useState } from "react";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { TextField } from "~/components/ui/field";
import { LoadingPanel } from "~/components/ui/spinner";
import { errorMessage, fieldErrors } from "~/lib/errors";
import { useTRPC } from "~/lib/trpc";
import { useDocumentTitle } from "~/lib/use-document-title";

export default function ResetPasswordPage() {
  useDocumentTitle("New password");
  const { token } = useParams<{ token: string }>();
  const trpc = useTRPC();
  const info = useQuery({ ...trpc.auth.resetInfo.queryOptions({ token }), retry: false });
  const reset = useMutation(trpc.auth.resetPassword.mutationOptions());
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [mismatch, setMismatch] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setMismatch(password !== repeat);
    if (password === repeat) reset.mutate({ token, newPassword: password });
  };
  if (reset.isSuccess) {
    return (
      <div className="space-y-4" data-testid="reset-done">
        <h1 className="text-xl font-semibold text-slate-900">Password set</h1>
        <p className="text-sm text-slate-600">Sign in as {reset.data.email} with your new password. Every earlier session has ended.</p>
        <Link href="/signin" className="font-medium text-indigo-600 hover:text-indigo-500">
          Sign in
        </Link>
      </div>
    );
  }
  if (info.isPending) return <LoadingPanel label="Checking the link…" />;
  if (info.isError) {
    return (
      <div className="space-y-4" data-testid="reset-invalid">
        <h1 className="text-xl font-semibold text-slate-900">This link does not work</h1>
        <Alert>{errorMessage(info.error)}</Alert>
      </div>
    );
  }
  const fields = fieldErrors(reset.error);
  return (
    <form onSubmit={submit} className="space-y-4" noValidate data-testid="reset-form">
      <div>
        <h1 className="text-xl font-semibold text-slate-900">Choose a new password</h1>
        <p className="mt-1 text-sm text-slate-500">For {info.data.email}.</p>
      </div>
      {reset.isError && !fields.newPassword && <Alert>{errorMessage(reset.error)}</Alert>}
      <TextField
        label="New password"
        type="password"
        autoComplete="new-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        error={fields.newPassword}
        hint="At least 8 characters."
        required
        autoFocus
      />
      <TextField
        label="New password again"
        type="password"
        autoComplete="new-password"
        value={repeat}
        onChange={(e) => setRepeat(e.target.value)}
        error={mismatch ? "The two passwords differ." : undefined}
        required
      />
      <Button type="submit" variant="primary" className="w-full" loading={reset.isPending}>
        Set password
      </Button>
    </form>
  );
}
