import type { Metadata } from "next";
import { Suspense } from "react";
import { AuthForm } from "~/components/layout/auth-form";

export const metadata: Metadata = { title: "Sign in · fewlabel" };

export default function Page() {
  // AuthForm reads ?next=, which needs a Suspense boundary on a statically rendered page.
  return (
    <Suspense>
      <AuthForm mode="signin" />
    </Suspense>
  );
}
