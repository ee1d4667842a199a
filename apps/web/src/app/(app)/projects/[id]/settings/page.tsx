"use client";
// Project settings: details, classes, members and invites for owners; the same, read-only, for everyone else.
import { useQuery } from "@tanstack/react-query";
import { useParams } from "next/navigation";
import { ClassesEditor } from "~/components/settings/classes-editor";
import { DeleteProject } from "~/components/settings/delete-project";
import { InvitesPanel } from "~/components/settings/invites-panel";
import { LabellingSettingsForm } from "~/components/settings/labelling-settings-form";
import { MembersPanel } from "~/components/settings/members-panel";
import { ProjectDetailsForm } from "~/components/settings/project-details-form";
import { Alert } from "~/components/ui/alert";
import { LoadingPanel } from "~/components/ui/spinner";
import { errorMessage } from "~/lib/errors";
import { canManage } from "~/lib/roles";
import { useTRPC } from "~/lib/trpc";
import { SubpageHeader } from "~/components/projects/subpage-header";

export default function SettingsPage() {
  const { id: projectId } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const project = useQuery(trpc.projects.get.queryOptions({ projectId }));
  if (project.isPending) return <LoadingPanel label="Loading settings…" />;
  if (project.isError)
    return (
      <main className="mx-auto max-w-xl p-8">
        <Alert>{errorMessage(project.error)}</Alert>
      </main>
    );
  const p = project.data;
  const owner = canManage(p.role);
  return (
    <main className="mx-auto max-w-3xl space-y-6 px-4 py-8 sm:px-6">
      <div>
        <SubpageHeader project={p} title="Settings" />
        {!owner && <p className="mt-3 text-sm text-slate-500">You can see these settings; only owners can change them.</p>}
      </div>
      <ProjectDetailsForm key={`${p.name}\n${p.description}`} project={p} editable={owner} />
      <LabellingSettingsForm project={p} editable={owner} />
      <ClassesEditor projectId={p.id} classes={p.classes} editable={owner} />
      <MembersPanel projectId={p.id} editable={owner} />
      {owner && <InvitesPanel projectId={p.id} />}
      {owner && <DeleteProject project={p} />}
    </main>
  );
}
