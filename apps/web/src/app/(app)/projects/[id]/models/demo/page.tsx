"use client";
// /projects/[id]/models/demo[?version=<model version id>][&backend=auto|webgpu|webgl|cpu]: try a distilled student in the
// browser (the newest one unless a version is named) on the TensorFlow.js backend of one's choice.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useParams, useRouter, useSearchParams } from "next/navigation";
import { Suspense } from "react";
import { type DemoBackend, demoBackends, StudentDemo } from "~/components/models/student-demo";
import { ProjectLoadError } from "~/components/projects/project-load-error";
import { SubpageHeader } from "~/components/projects/subpage-header";
import { Alert } from "~/components/ui/alert";
import { buttonClass } from "~/components/ui/button";
import { EmptyState } from "~/components/ui/empty-state";
import { inputClass } from "~/components/ui/field";
import { LoadingPanel } from "~/components/ui/spinner";
import { errorMessage } from "~/lib/errors";
import { useProjectLive } from "~/lib/realtime/use-project-live";
import { useTRPC } from "~/lib/trpc";
import { useDocumentTitle } from "~/lib/use-document-title";

export default function DemoPage() {
  // ?version= needs a Suspense boundary on a statically rendered page.
  return (
    <Suspense fallback={<LoadingPanel />}>
      <Demo />
    </Suspense>
  );
}

function Demo() {
  const { id: projectId } = useParams<{ id: string }>();
  const params = useSearchParams();
  const versionId = params.get("version");
  const backend = demoBackends.find((b) => b === params.get("backend")) ?? "auto";
  const router = useRouter();
  const trpc = useTRPC();
  const project = useQuery(trpc.projects.get.queryOptions({ projectId }));
  const models = useQuery(trpc.models.list.queryOptions({ projectId }));
  useProjectLive(projectId);
  const name = project.data?.name;
  useDocumentTitle(name && `Try the model · ${name}`);
  if (project.isPending || models.isPending) return <LoadingPanel label="Loading…" />;
  if (project.isError) return <ProjectLoadError error={project.error} />;
  const p = project.data;
  const students = models.data?.filter((m) => m.downloads.student) ?? [];
  const chosen = (versionId && students.find((m) => m.id === versionId)) || students[0];
  return (
    <main className="mx-auto max-w-5xl space-y-5 px-4 py-8 sm:px-6" data-testid="demo-page">
      <SubpageHeader project={p} title="Try the student model">
        <Link href={`/projects/${p.id}/models`} className={buttonClass("secondary", "sm")}>
          All models
        </Link>
      </SubpageHeader>
      {models.isError ? (
        <Alert>{errorMessage(models.error)}</Alert>
      ) : !chosen ? (
        <EmptyState title="No student model yet">The trainer distils a small student after each fine-tune; it can then be tried here, in the browser.</EmptyState>
      ) : (
        <>
          <div className="flex flex-wrap items-center gap-3 text-sm text-slate-600">
            <label className="flex items-center gap-2">
              Model version
              <select value={chosen.id} onChange={(e) => router.replace(demoUrl(p.id, e.target.value, backend))} className={inputClass(false, "w-56 py-1.5")} data-testid="demo-version">
                {students.map((s) => (
                  <option key={s.id} value={s.id}>
                    v{s.version}
                    {s.metrics ? ` · ${(s.metrics.accuracy * 100).toFixed(1)}% accuracy` : ""}
                  </option>
                ))}
              </select>
            </label>
            <label className="flex items-center gap-2">
              Backend
              <select value={backend} onChange={(e) => router.replace(demoUrl(p.id, chosen.id, e.target.value as DemoBackend))} className={inputClass(false, "w-32 py-1.5")} data-testid="demo-backend">
                {demoBackends.map((b) => (
                  <option key={b} value={b}>
                    {b}
                  </option>
                ))}
              </select>
            </label>
            <a href={chosen.downloads.student!.zip} download className={buttonClass("secondary", "sm")} data-testid="demo-download">
              Download the student (.zip)
            </a>
          </div>
          <StudentDemo modelJsonUrl={chosen.downloads.student!.modelJson} backend={backend} projectId={p.id} />
        </>
      )}
    </main>
  );
}

const demoUrl = (projectId: string, versionId: string, backend: DemoBackend) => `/projects/${projectId}/models/demo?version=${versionId}${backend === "auto" ? "" : `&backend=${backend}`}`;
