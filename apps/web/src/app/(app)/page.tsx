"use client";
// Home: the projects I belong to, and creating a new one.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { ProjectCard } from "~/components/projects/project-card";
import { NewProjectForm } from "~/components/projects/new-project-form";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { EmptyState } from "~/components/ui/empty-state";
import { Modal } from "~/components/ui/modal";
import { LoadingPanel } from "~/components/ui/spinner";
import { errorMessage } from "~/lib/errors";
import { useTRPC } from "~/lib/trpc";

export default function ProjectsPage() {
  const trpc = useTRPC();
  const projects = useQuery(trpc.projects.list.queryOptions());
  const [creating, setCreating] = useState(false);

  return (
    <main className="mx-auto max-w-6xl px-4 py-8 sm:px-6">
      <div className="mb-6 flex items-center justify-between gap-4">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight text-slate-900">Projects</h1>
          <p className="text-sm text-slate-500">Image sets your team labels together.</p>
        </div>
        <Button variant="primary" onClick={() => setCreating(true)} data-testid="new-project">
          New project
        </Button>
      </div>
      {projects.isPending ? (
        <LoadingPanel label="Loading projects…" />
      ) : projects.isError ? (
        <Alert>{errorMessage(projects.error)}</Alert>
      ) : projects.data.length === 0 ? (
        <EmptyState
          icon={<span className="text-4xl">🖼️</span>}
          title="No projects yet"
          action={
            <Button variant="primary" onClick={() => setCreating(true)}>
              Create your first project
            </Button>
          }
        >
          A project holds a set of images, the classes you label them with, and the people who label. Create one, then drop in a folder or a zip of images.
        </EmptyState>
      ) : (
        <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
          {projects.data.map((p) => (
            <ProjectCard key={p.id} project={p} />
          ))}
        </div>
      )}
      {creating && (
        <Modal label="New project" onClose={() => setCreating(false)}>
          <div className="border-b border-slate-100 px-6 py-4">
            <h2 className="text-lg font-semibold">New project</h2>
          </div>
          <div className="px-6 py-5">
            <NewProjectForm onCancel={() => setCreating(false)} />
          </div>
        </Modal>
      )}
    </main>
  );
}
