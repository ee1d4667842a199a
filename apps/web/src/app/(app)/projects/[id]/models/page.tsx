"use client";
// /projects/[id]/models: which teacher and student serve (with the default downloads) and held-out accuracy over the
// versions, then every model version the trainer published, newest first, with metrics beside their baselines,
// provenance and downloads; a distilled student can be tried in the browser.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useParams } from "next/navigation";
import { useMemo } from "react";
import { ModelCard } from "~/components/models/model-card";
import { ServingSummary } from "~/components/models/serving-summary";
import { ProjectLoadError } from "~/components/projects/project-load-error";
import { SubpageHeader } from "~/components/projects/subpage-header";
import { Alert } from "~/components/ui/alert";
import { buttonClass } from "~/components/ui/button";
import { EmptyState } from "~/components/ui/empty-state";
import { LoadingPanel } from "~/components/ui/spinner";
import { errorMessage } from "~/lib/errors";
import { useProjectLive } from "~/lib/realtime/use-project-live";
import { useTRPC } from "~/lib/trpc";
import { useDocumentTitle } from "~/lib/use-document-title";

export default function ModelsPage() {
  const { id: projectId } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const project = useQuery(trpc.projects.get.queryOptions({ projectId }));
  const models = useQuery(trpc.models.list.queryOptions({ projectId }));
  useProjectLive(projectId);
  const name = project.data?.name;
  useDocumentTitle(name && `Models · ${name}`);
  const classesById = useMemo(() => new Map(project.data?.classes.map((c) => [c.id, c])), [project.data]);
  const versionOf = useMemo(() => new Map(models.data?.map((m) => [m.id, m.version])), [models.data]);
  if (project.isPending) return <LoadingPanel label="Loading project…" />;
  if (project.isError) return <ProjectLoadError error={project.error} />;
  const p = project.data;
  return (
    <main className="mx-auto max-w-5xl space-y-5 px-4 py-8 sm:px-6" data-testid="models-page">
      <SubpageHeader project={p} title="Models" />
      {models.isPending ? (
        <LoadingPanel label="Loading models…" />
      ) : models.isError ? (
        <Alert>{errorMessage(models.error)}</Alert>
      ) : models.data.length === 0 ? (
        <EmptyState
          title="No models yet"
          action={
            <Link href={`/projects/${p.id}/training`} className={buttonClass("secondary")}>
              See training
            </Link>
          }
        >
          Each finished training stage publishes a version here: the pretrained encoder, a fine-tuned teacher, and the distilled student you can download or try in the browser.
        </EmptyState>
      ) : (
        <div className="space-y-4">
          <ServingSummary versions={models.data} projectId={p.id} />
          {models.data.map((v) => (
            <ModelCard key={v.id} version={v} classesById={classesById} parentVersion={v.parentId ? versionOf.get(v.parentId) : undefined} projectId={p.id} />
          ))}
        </div>
      )}
    </main>
  );
}
