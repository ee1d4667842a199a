"use client";
// The app's top bar: home link, who is signed in (a link to their account), sign out.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { disconnectRealtime } from "~/lib/realtime/connection";
import { useMe } from "~/lib/use-me";
import { useTRPC } from "~/lib/trpc";
import { Button } from "../ui/button";
import { Logo } from "./logo";

export function TopBar() {
  const trpc = useTRPC();
  const me = useMe();
  const queryClient = useQueryClient();
  const router = useRouter();
  const signOut = useMutation(
    trpc.auth.signOut.mutationOptions({
      onSettled: () => {
        // The live connection belongs to the session that just ended.
        disconnectRealtime();
        queryClient.clear();
        router.replace("/signin");
      },
    }),
  );
  const user = me.data;
  return (
    <header className="sticky top-0 z-30 border-b border-slate-200 bg-white/90 backdrop-blur">
      <div className="mx-auto flex h-14 max-w-[1600px] items-center justify-between px-4 sm:px-6">
        <Logo />
        {user && (
          <div className="flex items-center gap-3">
            {user.isAdmin && (
              <Link href="/admin" className="rounded-md px-2 py-1 text-sm text-slate-600 hover:bg-slate-100 hover:text-slate-900" data-testid="admin-link">
                Administration
              </Link>
            )}
            <Link href="/account" className="hidden rounded-md px-1 text-right leading-tight hover:bg-slate-50 sm:block" data-testid="current-user" title="Your account: password and sessions">
              <div className="text-sm font-medium text-slate-900">{user.name}</div>
              <div className="text-xs text-slate-500">{user.email}</div>
            </Link>
            <span className="grid size-8 place-items-center rounded-full bg-indigo-100 text-sm font-semibold text-indigo-700" aria-hidden="true">
              {user.name.slice(0, 1).toUpperCase()}
            </span>
            <Button size="sm" variant="ghost" onClick={() => signOut.mutate()} loading={signOut.isPending} data-testid="sign-out">
              Sign out
            </Button>
          </div>
        )}
      </div>
    </header>
  );
}
