"use client";
// /projects/[id]/review: the disagreements reviewers (and owners) settle, by a vote or by a decision, and the labels
// the model confidently contradicts (possible label errors), and images that look like the same picture (duplicates).
import { useQuery } from "@tanstack/react-query";
import { useParams } from "next/navigation";
import { DisagreementList } from "~/components/review/disagreement-list";
import { DuplicateGroupList } from "~/components/review/duplicate-group-list";
import { LabelIssueList } from "~/components/review/label-issue-list";
import { Alert } from "~/components/ui/alert";
import { LoadingPanel } from "~/components/ui/spinner";
import { useProjectLive } from "~/lib/realtime/use-project-live";
import { canDecide, canReview } from "~/lib/roles";
import { useTRPC } from "~/lib/trpc";
import { useDocumentTitle } from "~/lib/use-document-title";
import { ProjectLoadError } from "~/components/projects/project-load-error";
import { SubpageHeader } from "~/components/projects/subpage-header";

export default function ReviewPage() {
  const { id: projectId } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const project = useQuery(trpc.projects.get.queryOptions({ projectId }));
  useProjectLive(projectId);
  const name = project.data?.name;
  useDocumentTitle(name && `Review ${name}`);
  if (project.isPending) return <LoadingPanel label="Loading project…" />;
  if (project.isError) return <ProjectLoadError error={project.error} />;
  const p = project.data;
  return (
    <main className="mx-auto max-w-4xl space-y-5 px-4 py-8 sm:px-6" data-testid="review-page">
      <SubpageHeader project={p} title="Review" />
      {canReview(p.role) ? (
        <>
          <DisagreementList projectId={p.id} classes={p.classes} canDecide={canDecide(p.role)} />
          <LabelIssueList projectId={p.id} classes={p.classes} canDecide={canDecide(p.role)} />
          <DuplicateGroupList projectId={p.id} classes={p.classes} canDecide={canDecide(p.role)} />
        </>
      ) : (
        <Alert tone="info">Reviewing is for reviewers and owners of this project. Ask an owner to change your role.</Alert>
      )}
    </main>
  );
}
