"use client";
// /projects/[id]/label: the labelling view, live with the rest of the team.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useParams } from "next/navigation";
import { useEffect } from "react";
import { LabelView } from "~/components/labelling/label-view";
import { Alert } from "~/components/ui/alert";
import { buttonClass } from "~/components/ui/button";
import { LoadingPanel } from "~/components/ui/spinner";
import { errorMessage } from "~/lib/errors";
import { useProjectLive } from "~/lib/realtime/use-project-live";
import { useTRPC } from "~/lib/trpc";

export default function LabelPage() {
  const { id: projectId } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const project = useQuery(trpc.projects.get.queryOptions({ projectId }));
  useProjectLive(projectId);
  const name = project.data?.name;
  useEffect(() => {
    if (name) document.title = `Labelling ${name} · fewlabel`;
  }, [name]);
  if (project.isPending) return <LoadingPanel label="Loading project…" />;
  if (project.isError)
    return (
      <main className="mx-auto max-w-xl p-8">
        <Alert action={<Link href="/" className={buttonClass("secondary", "sm")}>All projects</Link>}>{errorMessage(project.error)}</Alert>
      </main>
    );
  return <LabelView project={project.data} />;
}
