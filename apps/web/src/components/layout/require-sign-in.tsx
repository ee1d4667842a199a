"use client";
// Keeps signed-out visitors out of app pages: they go to /signin?next=<where they were going> and come back after.
import { usePathname, useRouter } from "next/navigation";
import { type ReactNode, useEffect } from "react";
import { useMe } from "~/lib/use-me";
import { errorMessage } from "~/lib/errors";
import { Alert } from "../ui/alert";
import { LoadingPanel } from "../ui/spinner";

export function RequireSignIn({ children }: { children: ReactNode }) {
  const me = useMe();
  const router = useRouter();
  const pathname = usePathname();
  const signedOut = me.isSuccess && me.data === null;

  useEffect(() => {
    if (signedOut) router.replace(`/signin?next=${encodeURIComponent(pathname + window.location.search)}`);
  }, [signedOut, pathname, router]);

  if (me.isError)
    return (
      <div className="mx-auto max-w-md p-8">
        <Alert>{errorMessage(me.error, "Cannot reach the server.")}</Alert>
      </div>
    );
  if (!me.data) return <LoadingPanel />;
  return <>{children}</>;
}
