"use client";
// Renaming a project and editing its description (owners); others see the same fields read-only.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import type { Project } from "~/lib/api-types";
import { errorMessage, fieldErrors } from "~/lib/errors";
import { useTRPC } from "~/lib/trpc";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";
import { Card } from "../ui/card";
import { TextAreaField, TextField } from "../ui/field";

export function ProjectDetailsForm({ project, editable }: { project: Project; editable: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState(project.name);
  const [description, setDescription] = useState(project.description);
  const update = useMutation(trpc.projects.update.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.projects.pathKey() }) }));
  const errors = fieldErrors(update.error);
  const dirty = name !== project.name || description !== project.description;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    update.mutate({ projectId: project.id, name, description });
  };
  return (
    <Card title="Project" description={editable ? "Name and description everyone in the project sees." : "Only owners can change these."}>
      <form onSubmit={submit} className="space-y-4">
        {update.error && !errors.name && !errors.description && <Alert>{errorMessage(update.error)}</Alert>}
        <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} disabled={!editable} error={errors.name} maxLength={120} data-testid="project-name-input" />
        <TextAreaField label="Description" value={description} onChange={(e) => setDescription(e.target.value)} disabled={!editable} error={errors.description} maxLength={2000} />
        {editable && (
          <div className="flex items-center justify-end gap-3">
            {update.isSuccess && !dirty && <span className="text-sm text-emerald-700">Saved.</span>}
            <Button type="submit" variant="primary" disabled={!dirty} loading={update.isPending}>
              Save
            </Button>
          </div>
        )}
      </form>
    </Card>
  );
}
