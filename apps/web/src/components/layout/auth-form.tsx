"use client";
// The sign-in and sign-up form: one component, since the two differ only by the name field and the mutation.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { type FormEvent, useEffect, useState } from "react";
import { errorMessage, fieldErrors } from "~/lib/errors";
import { safeNext } from "~/lib/safe-next";
import { useTRPC } from "~/lib/trpc";
import { useMe } from "~/lib/use-me";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";
import { TextField } from "../ui/field";

export function AuthForm({ mode }: { mode: "signin" | "signup" }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const next = safeNext(useSearchParams().get("next"));
  const me = useMe();
  const firstAccount = useQuery({ ...trpc.auth.signUpInfo.queryOptions(), enabled: mode === "signup" }).data?.firstAccount ?? false;
  const [form, setForm] = useState({ name: "", email: "", password: "" });

  // Another account's cached data must not leak into this session: drop everything, then go on.
  const onSuccess = () => {
    queryClient.removeQueries();
    router.replace(next);
  };
  const signIn = useMutation(trpc.auth.signIn.mutationOptions({ onSuccess }));
  const signUp = useMutation(trpc.auth.signUp.mutationOptions({ onSuccess }));
  const mutation = mode === "signin" ? signIn : signUp;

  // Already signed in (e.g. an old tab): go on to where the visitor was heading.
  useEffect(() => {
    if (me.data && !mutation.isPending && !mutation.isSuccess) router.replace(next);
  }, [me.data, mutation.isPending, mutation.isSuccess, next, router]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (mode === "signin") signIn.mutate({ email: form.email, password: form.password });
    // On an invite-only instance the invite link being followed is what allows the new account.
    else signUp.mutate({ ...form, inviteToken: next.match(/^\/invite\/([^/?#]+)/)?.[1] });
  };
  const errors = fieldErrors(mutation.error);
  const generalError = mutation.error && Object.keys(errors).length === 0 ? errorMessage(mutation.error) : undefined;
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }));
  const otherHref = `${mode === "signin" ? "/signup" : "/signin"}${next !== "/" ? `?next=${encodeURIComponent(next)}` : ""}`;

  return (
    <form onSubmit={submit} className="space-y-4" noValidate>
      <div>
        <h1 className="text-xl font-semibold text-slate-900">{mode === "signin" ? "Sign in" : "Create your account"}</h1>
        <p className="mt-1 text-sm text-slate-500">
          {mode === "signin"
            ? "Welcome back."
            : firstAccount
              ? "This is the first account on this install: it will administer it (who may sign up, the accounts)."
              : "Label images together with your team."}
          {next.startsWith("/invite/") && " Then you can accept your invite."}
        </p>
      </div>
      {generalError && <Alert>{generalError}</Alert>}
      {mode === "signup" && <TextField label="Name" name="name" autoComplete="name" value={form.name} onChange={set("name")} error={errors.name} required autoFocus />}
      <TextField label="Email" name="email" type="email" autoComplete="email" value={form.email} onChange={set("email")} error={errors.email} required autoFocus={mode === "signin"} />
      <TextField
        label="Password"
        name="password"
        type="password"
        autoComplete={mode === "signin" ? "current-password" : "new-password"}
        value={form.password}
        onChange={set("password")}
        error={errors.password}
        hint={mode === "signup" ? "At least 8 characters." : undefined}
        required
      />
      <Button type="submit" variant="primary" className="w-full" loading={mutation.isPending}>
        {mode === "signin" ? "Sign in" : "Create account"}
      </Button>
      <p className="text-center text-sm text-slate-500">
        {mode === "signin" ? "New here? " : "Already have an account? "}
        <Link href={otherHref} className="font-medium text-indigo-600 hover:text-indigo-500">
          {mode === "signin" ? "Create an account" : "Sign in"}
        </Link>
      </p>
    </form>
  );
}
