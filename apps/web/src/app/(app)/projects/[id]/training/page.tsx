"use client";
// /projects/[id]/training: the trainer's work on this project, live; owners control it and manage trainer tokens.
import { useQuery } from "@tanstack/react-query";
import { useParams } from "next/navigation";
import { ProjectLoadError } from "~/components/projects/project-load-error";
import { SubpageHeader } from "~/components/projects/subpage-header";
import { TrainerTokens } from "~/components/training/trainer-tokens";
import { TrainingView } from "~/components/training/training-view";
import { LoadingPanel } from "~/components/ui/spinner";
import { useProjectLive } from "~/lib/realtime/use-project-live";
import { canManage } from "~/lib/roles";
import { useTRPC } from "~/lib/trpc";
import { useDocumentTitle } from "~/lib/use-document-title";

export default function TrainingPage() {
  const { id: projectId } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const project = useQuery(trpc.projects.get.queryOptions({ projectId }));
  useProjectLive(projectId);
  const name = project.data?.name;
  useDocumentTitle(name && `Training · ${name}`);
  if (project.isPending) return <LoadingPanel label="Loading project…" />;
  if (project.isError) return <ProjectLoadError error={project.error} />;
  const p = project.data;
  const owner = canManage(p.role);
  return (
    <main className="mx-auto max-w-5xl space-y-5 px-4 py-8 sm:px-6" data-testid="training-page">
      <SubpageHeader project={p} title="Training" />
      <p className="max-w-3xl text-sm text-slate-500">
        The trainer learns from all of the project&apos;s images without labels (stage 1, SimCLR contrastive pretraining), fine-tunes on your labels whenever enough new ones arrive (stage 2), then
        labels the rest for you to review and distils a small student model that runs in the browser (stage 3).
      </p>
      <TrainingView projectId={p.id} canManage={owner} />
      {owner && <TrainerTokens projectId={p.id} />}
    </main>
  );
}
