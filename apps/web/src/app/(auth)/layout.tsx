// Sign-in and sign-up: a centred card on a quiet background.
import type { ReactNode } from "react";
import { Logo } from "~/components/layout/logo";

export default function AuthLayout({ children }: { children: ReactNode }) {
  return (
    <main className="flex min-h-screen flex-col items-center justify-center bg-gradient-to-b from-indigo-50 to-slate-50 px-4 py-12">
      <div className="mb-8 scale-125">
        <Logo />
      </div>
      <div className="w-full max-w-sm rounded-xl bg-white p-6 shadow-sm ring-1 ring-slate-200 sm:p-8">{children}</div>
      <p className="mt-6 max-w-sm text-center text-xs text-slate-500">Label images together while a model learns from every one of them.</p>
    </main>
  );
}
