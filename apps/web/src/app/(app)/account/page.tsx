"use client";
// The signed-in person's own account: password, and where they are signed in.
import { ChangePasswordForm } from "~/components/account/change-password-form";
import { SessionList } from "~/components/account/session-list";
import { useDocumentTitle } from "~/lib/use-document-title";

export default function AccountPage() {
  useDocumentTitle("Account");
  return (
    <main className="mx-auto max-w-3xl space-y-6 px-4 py-8 sm:px-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight text-slate-900">Account</h1>
        <p className="text-sm text-slate-500">Your password, and the browsers you are signed in on.</p>
      </div>
      <ChangePasswordForm />
      <SessionList />
    </main>
  );
}
