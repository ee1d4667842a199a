"use client";
// Every page that needs an account: the sign-in gate and the top bar.
import type { ReactNode } from "react";
import { RequireSignIn } from "~/components/layout/require-sign-in";
import { TopBar } from "~/components/layout/top-bar";

export default function AppLayout({ children }: { children: ReactNode }) {
  return (
    <>
      <TopBar />
      <RequireSignIn>{children}</RequireSignIn>
    </>
  );
}
