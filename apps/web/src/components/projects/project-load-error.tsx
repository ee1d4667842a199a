// What a project page shows when the project cannot be loaded (not a member, deleted, offline): the server's reason
// and a way back.
import Link from "next/link";
import { Alert } from "~/components/ui/alert";
import { buttonClass } from "~/components/ui/button";
import { errorMessage } from "~/lib/errors";

export function ProjectLoadError({ error }: { error: unknown }) {
  return (
    <main className="mx-auto max-w-xl p-8">
      <Alert
        action={
          <Link href="/" className={buttonClass("secondary", "sm")}>
            All projects
          </Link>
        }
      >
        {errorMessage(error)}
      </Alert>
    </main>
  );
}
