"use client";
// /projects/[id]/experiments: the label-efficiency experiment on this project's own images. Owners start and cancel
// runs; every member watches progress (polled once a second while one runs) and reads past results.
import { useQuery } from "@tanstack/react-query";
import { useParams } from "next/navigation";
import { ExperimentForm } from "~/components/experiments/experiment-form";
import { ExperimentView } from "~/components/experiments/experiment-view";
import { SubpageHeader } from "~/components/projects/subpage-header";
import { ProjectLoadError } from "~/components/projects/project-load-error";
import { Alert } from "~/components/ui/alert";
import { Card } from "~/components/ui/card";
import { LoadingPanel } from "~/components/ui/spinner";
import { errorMessage } from "~/lib/errors";
import { canManage } from "~/lib/roles";
import { useTRPC } from "~/lib/trpc";
import { useDocumentTitle } from "~/lib/use-document-title";

export default function ExperimentsPage() {
  const { id: projectId } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const project = useQuery(trpc.projects.get.queryOptions({ projectId }));
  const experiments = useQuery({
    ...trpc.experiments.list.queryOptions({ projectId }),
    refetchInterval: (q) => (q.state.data?.some((e) => e.status === "RUNNING") ? 1000 : q.state.data?.some((e) => e.status === "QUEUED") ? 3000 : false),
  });
  useDocumentTitle(project.data?.name && `Experiments: ${project.data.name}`);
  if (project.isPending) return <LoadingPanel label="Loading project…" />;
  if (project.isError) return <ProjectLoadError error={project.error} />;
  const p = project.data;
  const owner = canManage(p.role);
  const running = experiments.data?.some((e) => e.status === "RUNNING" || e.status === "QUEUED") ?? false;
  return (
    <main className="mx-auto max-w-4xl space-y-5 px-4 py-8 sm:px-6" data-testid="experiments-page">
      <div>
        <SubpageHeader project={p} title="Label efficiency" />
        <p className="mt-3 max-w-3xl text-sm text-slate-500">
          How good is the model with a few of this project&apos;s labels, next to all of them? Supervised training against the SimCLR v2 pipeline, scored on labelled images held out from training.
        </p>
      </div>
      {owner ? (
        <Card title="New experiment" description={running ? "One experiment runs or waits at a time in a project." : undefined}>
          <ExperimentForm projectId={projectId} disabled={running} />
        </Card>
      ) : (
        <Alert tone="info">Owners start experiments; you can watch them and read their results here.</Alert>
      )}
      {experiments.isError && <Alert>{errorMessage(experiments.error)}</Alert>}
      {experiments.data?.length === 0 && <p className="text-sm text-slate-500">No experiments yet.</p>}
      {experiments.data?.map((e) => (
        <ExperimentView key={e.id} experiment={e} projectId={projectId} projectName={p.name} canCancel={owner} />
      ))}
    </main>
  );
}
