"use client";
// Opening an invite link: see which project and role it offers, accept, and land in the project. Signed-out visitors
// are sent to sign in (or sign up) by the app layout and come back here afterwards.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useParams, useRouter } from "next/navigation";
import { Alert } from "~/components/ui/alert";
import { Button, buttonClass } from "~/components/ui/button";
import { LoadingPanel } from "~/components/ui/spinner";
import { errorMessage } from "~/lib/errors";
import { roleName } from "~/lib/format";
import { useTRPC } from "~/lib/trpc";
import { useMe } from "~/lib/use-me";

export default function InvitePage() {
  const { token } = useParams<{ token: string }>();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const me = useMe().data;
  const preview = useQuery({ ...trpc.invites.preview.queryOptions({ token }), retry: false });
  const accept = useMutation(
    trpc.invites.accept.mutationOptions({
      onSuccess: async ({ projectId }) => {
        await queryClient.invalidateQueries({ queryKey: trpc.projects.pathKey() });
        router.replace(`/projects/${projectId}`);
      },
    }),
  );

  return (
    <main className="mx-auto max-w-md px-4 py-16">
      <div className="rounded-xl bg-white p-8 text-center shadow-sm ring-1 ring-slate-200" data-testid="invite">
        {preview.isPending ? (
          <LoadingPanel label="Checking the invite…" />
        ) : preview.isError ? (
          <div className="space-y-4">
            <h1 className="text-lg font-semibold">Invite not usable</h1>
            <Alert>{errorMessage(preview.error)}</Alert>
            <Link href="/" className={buttonClass("secondary")}>
              Go to your projects
            </Link>
          </div>
        ) : (
          <div className="space-y-5">
            <p className="text-sm text-slate-500">You have been invited to</p>
            <h1 className="text-xl font-semibold text-slate-900">
              Join {preview.data.projectName} as {roleName(preview.data.role).toLowerCase()}
            </h1>
            {me && <p className="text-xs text-slate-500">Signed in as {me.email}</p>}
            {accept.error && <Alert>{errorMessage(accept.error)}</Alert>}
            <Button variant="primary" className="w-full" loading={accept.isPending} onClick={() => accept.mutate({ token })} data-testid="accept-invite">
              Accept and open the project
            </Button>
          </div>
        )}
      </div>
    </main>
  );
}
