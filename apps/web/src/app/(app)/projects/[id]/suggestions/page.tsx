"use client";
// /projects/[id]/suggestions: the model's suggestions for unlabelled images, reviewed by the team.
import { useQuery } from "@tanstack/react-query";
import { useParams } from "next/navigation";
import { ProjectLoadError } from "~/components/projects/project-load-error";
import { SubpageHeader } from "~/components/projects/subpage-header";
import { SuggestionQueue } from "~/components/suggestions/suggestion-queue";
import { LoadingPanel } from "~/components/ui/spinner";
import { useProjectLive } from "~/lib/realtime/use-project-live";
import { useTRPC } from "~/lib/trpc";
import { useDocumentTitle } from "~/lib/use-document-title";

export default function SuggestionsPage() {
  const { id: projectId } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const project = useQuery(trpc.projects.get.queryOptions({ projectId }));
  useProjectLive(projectId);
  const name = project.data?.name;
  useDocumentTitle(name && `Suggestions · ${name}`);
  if (project.isPending) return <LoadingPanel label="Loading project…" />;
  if (project.isError) return <ProjectLoadError error={project.error} />;
  const p = project.data;
  return (
    <main className="mx-auto max-w-5xl space-y-5 px-4 py-8 sm:px-6" data-testid="suggestions-page">
      <SubpageHeader project={p} title="Model suggestions" />
      <SuggestionQueue projectId={p.id} classes={p.classes} role={p.role} />
    </main>
  );
}
