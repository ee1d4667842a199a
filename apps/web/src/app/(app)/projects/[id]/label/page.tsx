"use client";
// /projects/[id]/label: the labelling view, live with the rest of the team.
import { useQuery } from "@tanstack/react-query";
import { useParams } from "next/navigation";
import { LabelView } from "~/components/labelling/label-view";
import { LoadingPanel } from "~/components/ui/spinner";
import { useProjectLive } from "~/lib/realtime/use-project-live";
import { useTRPC } from "~/lib/trpc";
import { useDocumentTitle } from "~/lib/use-document-title";
import { ProjectLoadError } from "~/components/projects/project-load-error";

export default function LabelPage() {
  const { id: projectId } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const project = useQuery(trpc.projects.get.queryOptions({ projectId }));
  useProjectLive(projectId);
  const name = project.data?.name;
  useDocumentTitle(name && `Labelling ${name}`);
  if (project.isPending) return <LoadingPanel label="Loading project…" />;
  if (project.isError) return <ProjectLoadError error={project.error} />;
  return <LabelView project={project.data} />;
}
