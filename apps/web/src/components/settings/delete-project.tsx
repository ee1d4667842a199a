"use client";
// Deleting a project for good: the owner types its name to confirm.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import type { Project } from "~/lib/api-types";
import { errorMessage } from "~/lib/errors";
import { useTRPC } from "~/lib/trpc";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";
import { Card } from "../ui/card";
import { TextField } from "../ui/field";

export function DeleteProject({ project }: { project: Project }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const [confirmName, setConfirmName] = useState("");
  const del = useMutation(
    trpc.projects.delete.mutationOptions({
      onSuccess: async () => {
        queryClient.removeQueries({ queryKey: trpc.projects.get.queryKey({ projectId: project.id }) });
        await queryClient.invalidateQueries({ queryKey: trpc.projects.list.queryKey() });
        router.replace("/");
      },
    }),
  );
  return (
    <Card title={<span className="text-rose-700">Delete project</span>} description="Deletes the project, its images, labels and invite links. This cannot be undone." className="ring-rose-200">
      <form
        className="flex flex-wrap items-end gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          del.mutate({ projectId: project.id, confirmName });
        }}
      >
        <div className="min-w-64 flex-1">
          <TextField
            label={
              <>
                Type <strong>{project.name}</strong> to confirm
              </>
            }
            value={confirmName}
            onChange={(e) => setConfirmName(e.target.value)}
            autoComplete="off"
            data-testid="delete-confirm"
          />
        </div>
        <Button type="submit" variant="danger" disabled={confirmName !== project.name} loading={del.isPending} data-testid="delete-project">
          Delete project
        </Button>
      </form>
      {del.error && (
        <div className="mt-3">
          <Alert>{errorMessage(del.error)}</Alert>
        </div>
      )}
    </Card>
  );
}
