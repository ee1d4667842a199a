"use client";
import { Suspense } from "react";
import { AuthForm } from "~/components/layout/auth-form";

export default function Page() {
  return (
    <Suspense>
      <AuthForm mode="signin" />
    </Suspense>
  );
}
