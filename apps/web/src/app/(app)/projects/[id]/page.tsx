"use client";
// A project: counts, filters, the image grid with its detail view, and uploads for those allowed to upload.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useParams } from "next/navigation";
import { useCallback, useEffect, useMemo, useState } from "react";
import { FilterBar, noFilter } from "~/components/images/filter-bar";
import { ImageDetail } from "~/components/images/image-detail";
import { ImageGrid } from "~/components/images/image-grid";
import { ProjectHeader } from "~/components/projects/project-header";
import { UploadDropzone } from "~/components/upload/upload-dropzone";
import { UploadPanel } from "~/components/upload/upload-panel";
import { Alert } from "~/components/ui/alert";
import { buttonClass } from "~/components/ui/button";
import { EmptyState } from "~/components/ui/empty-state";
import { LoadingPanel } from "~/components/ui/spinner";
import type { ImageFilter } from "~/lib/api-types";
import { errorMessage } from "~/lib/errors";
import { canUpload } from "~/lib/roles";
import { useTRPC } from "~/lib/trpc";
import { useImageTotal } from "~/lib/use-image-pages";
import { useUpload } from "~/lib/upload/use-upload";

export default function ProjectPage() {
  const { id: projectId } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const project = useQuery(trpc.projects.get.queryOptions({ projectId }));
  const stats = useQuery(trpc.images.stats.queryOptions({ projectId }));
  const [filter, setFilter] = useState<ImageFilter>(noFilter);
  const [openIndex, setOpenIndex] = useState<number | null>(null);
  const matching = useImageTotal(projectId, filter).data?.total;
  const upload = useUpload(projectId);
  const classesById = useMemo(() => new Map(project.data?.classes.map((c) => [c.id, c])), [project.data]);
  const onFilter = useCallback((f: ImageFilter) => {
    setOpenIndex(null);
    setFilter(f);
  }, []);

  const name = project.data?.name;
  useEffect(() => {
    if (name) document.title = `${name} · fewlabel`;
  }, [name]);

  if (project.isPending) return <LoadingPanel label="Loading project…" />;
  if (project.isError)
    return (
      <main className="mx-auto max-w-xl p-8">
        <Alert action={<Link href="/" className={buttonClass("secondary", "sm")}>All projects</Link>}>{errorMessage(project.error)}</Alert>
      </main>
    );

  const p = project.data;
  const uploader = canUpload(p.role);
  const projectEmpty = stats.data?.total === 0;
  const emptyGrid = projectEmpty ? (
    uploader ? (
      <UploadDropzone large onFiles={upload.upload} disabled={upload.busy} />
    ) : (
      <EmptyState title="No images yet">An owner or reviewer of this project can upload images; they will appear here.</EmptyState>
    )
  ) : (
    <EmptyState title="No images match these filters" action={<button className={buttonClass("secondary")} onClick={() => onFilter(noFilter)}>Clear filters</button>} />
  );

  return (
    <main className="mx-auto flex h-[calc(100dvh-3.5rem)] max-w-[1600px] flex-col">
      <div className="shrink-0 space-y-4 border-b border-slate-200 px-4 pt-5 pb-4 sm:px-6">
        <ProjectHeader project={p} stats={stats.data} filter={filter} onFilter={onFilter} />
        {uploader && !projectEmpty && <UploadDropzone onFiles={upload.upload} disabled={upload.busy} />}
        <FilterBar filter={filter} onChange={onFilter} classes={p.classes} matching={matching} />
      </div>
      <div className="min-h-0 flex-1 px-1 sm:px-3">
        <ImageGrid projectId={projectId} filter={filter} classesById={classesById} onOpen={setOpenIndex} empty={emptyGrid} />
      </div>
      {openIndex !== null && matching !== undefined && (
        <ImageDetail
          projectId={projectId}
          filter={filter}
          index={openIndex}
          total={matching}
          classesById={classesById}
          onIndex={setOpenIndex}
          onClose={() => setOpenIndex(null)}
        />
      )}
      <UploadPanel tally={upload.tally} error={upload.error} onCancel={upload.cancel} onDismiss={upload.dismiss} />
    </main>
  );
}
