"use client";
// Where the person is signed in: each session with when it started and was last used; end one, or all.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Card } from "~/components/ui/card";
import { LoadingPanel } from "~/components/ui/spinner";
import { errorMessage } from "~/lib/errors";
import { formatDate } from "~/lib/format";
import { disconnectRealtime } from "~/lib/realtime/connection";
import { useTRPC } from "~/lib/trpc";

export function SessionList() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const sessions = useQuery(trpc.auth.sessions.queryOptions());
  // Ending this browser's own session is signing out here.
  const leave = () => {
    disconnectRealtime();
    queryClient.clear();
    router.replace("/signin");
  };
  const end = useMutation(
    trpc.auth.endSession.mutationOptions({
      onSuccess: (_, { sessionId }) => {
        if (sessions.data?.find((s) => s.id === sessionId)?.current) leave();
        else void queryClient.invalidateQueries({ queryKey: trpc.auth.sessions.queryKey() });
      },
    }),
  );
  const everywhere = useMutation(trpc.auth.signOutEverywhere.mutationOptions({ onSuccess: leave }));
  return (
    <Card
      title="Where you are signed in"
      description="Signing a session out closes its open tabs at once."
      actions={
        <Button variant="danger" size="sm" onClick={() => everywhere.mutate()} loading={everywhere.isPending} data-testid="sign-out-everywhere">
          Sign out everywhere
        </Button>
      }
    >
      {sessions.isPending ? (
        <LoadingPanel label="Loading sessions…" />
      ) : sessions.isError ? (
        <Alert>{errorMessage(sessions.error)}</Alert>
      ) : (
        <ul className="divide-y divide-slate-100" data-testid="sessions">
          {sessions.data.map((s) => (
            <li key={s.id} className="flex items-center justify-between gap-4 py-3" data-testid="session">
              <div className="text-sm">
                <div className="font-medium text-slate-900">
                  {s.current ? "This browser" : "Another browser or device"}
                  {s.current && <span className="ml-2 rounded bg-indigo-50 px-1.5 py-0.5 text-xs font-medium text-indigo-700">current</span>}
                </div>
                <div className="text-xs text-slate-500">
                  Signed in {formatDate(s.createdAt)} · last used {formatDate(s.lastSeenAt)}
                </div>
              </div>
              <Button size="sm" variant="dangerGhost" onClick={() => end.mutate({ sessionId: s.id })} loading={end.isPending && end.variables?.sessionId === s.id}>
                Sign out
              </Button>
            </li>
          ))}
        </ul>
      )}
      {(end.isError || everywhere.isError) && <Alert>{errorMessage(end.error ?? everywhere.error)}</Alert>}
    </Card>
  );
}
