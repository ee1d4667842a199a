"use client";
// The signed-in user (or null), shared by the top bar, the sign-in gate and the auth pages.
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "./trpc";

export function useMe() {
  const trpc = useTRPC();
  return useQuery({ ...trpc.auth.me.queryOptions(), staleTime: 60_000 });
}
