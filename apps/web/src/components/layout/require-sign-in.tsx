"use client";
// Keeps signed-out visitors out of app pages: they go to /signin?next=<where they were going> and come back after.
import { useQueryClient } from "@tanstack/react-query";
import { usePathname, useRouter } from "next/navigation";
import { type ReactNode, useEffect } from "react";
import { useMe } from "~/lib/use-me";
import { errorCode, errorMessage } from "~/lib/errors";
import { useTRPC } from "~/lib/trpc";
import { Alert } from "../ui/alert";
import { LoadingPanel } from "../ui/spinner";

export function RequireSignIn({ children }: { children: ReactNode }) {
  const me = useMe();
  const router = useRouter();
  const pathname = usePathname();
  const signedOut = me.isSuccess && me.data === null;
  const trpc = useTRPC();
  const queryClient = useQueryClient();

  // A session that ends while a page is open (expired, signed out in another tab): any query answering
  // UNAUTHORIZED makes us ask the server again who we are, and the redirect below follows.
  useEffect(
    () =>
      queryClient.getQueryCache().subscribe((event) => {
        if (event.type === "updated" && event.action.type === "error" && errorCode(event.action.error) === "UNAUTHORIZED") {
          void queryClient.invalidateQueries({ queryKey: trpc.auth.me.queryKey() });
        }
      }),
    [queryClient, trpc],
  );

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
