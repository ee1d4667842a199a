"use client";
// Instance administration: who may sign up, and the accounts (disable, enable, lift a sign-in lock).
import { SignUpPolicyCard } from "~/components/admin/sign-up-policy";
import { UserTable } from "~/components/admin/user-table";
import { Alert } from "~/components/ui/alert";
import { useDocumentTitle } from "~/lib/use-document-title";
import { useMe } from "~/lib/use-me";

export default function AdminPage() {
  useDocumentTitle("Administration");
  const me = useMe();
  return (
    <main className="mx-auto max-w-5xl space-y-6 px-4 py-8 sm:px-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight text-slate-900">Administration</h1>
        <p className="text-sm text-slate-500">This instance&apos;s accounts and who may create one.</p>
      </div>
      {me.data && !me.data.isAdmin ? (
        <Alert>Only the instance&apos;s administrator (its first account) can see this page.</Alert>
      ) : (
        <>
          <SignUpPolicyCard />
          <UserTable />
        </>
      )}
    </main>
  );
}
