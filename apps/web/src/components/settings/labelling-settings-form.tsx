"use client";
// How work is shared out (owners): how many annotators label each image (overlap for quality control), and how long
// a claimed image stays with an annotator who has gone quiet before it goes back to the pool.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import type { Project } from "~/lib/api-types";
import { errorMessage, fieldErrors } from "~/lib/errors";
import { useTRPC } from "~/lib/trpc";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";
import { Card } from "../ui/card";
import { TextField } from "../ui/field";

export function LabellingSettingsForm({ project, editable }: { project: Project; editable: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [perImage, setPerImage] = useState(String(project.annotatorsPerImage));
  const [leaseMinutes, setLeaseMinutes] = useState(String(+(project.leaseSeconds / 60).toFixed(2)));
  const update = useMutation(
    trpc.projects.update.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.projects.pathKey() }) }),
  );
  const errors = fieldErrors(update.error);
  const perImageValue = Number(perImage);
  const leaseSeconds = Math.round(Number(leaseMinutes) * 60);
  const perImageError = !Number.isInteger(perImageValue) || perImageValue < 1 || perImageValue > 20 ? "A whole number from 1 to 20." : errors.annotatorsPerImage;
  const leaseError = !Number.isFinite(leaseSeconds) || leaseSeconds < 15 || leaseSeconds > 3600 ? "Between 0.25 and 60 minutes." : errors.leaseSeconds;
  const dirty = perImageValue !== project.annotatorsPerImage || leaseSeconds !== project.leaseSeconds;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (perImageError || leaseError) return;
    update.mutate({ projectId: project.id, annotatorsPerImage: perImageValue, leaseSeconds });
  };
  return (
    <Card title="Labelling" description="How images are shared out among annotators labelling at the same time.">
      <form onSubmit={submit} className="space-y-4" data-testid="labelling-settings">
        {update.error && !errors.annotatorsPerImage && !errors.leaseSeconds && <Alert>{errorMessage(update.error)}</Alert>}
        <div className="grid gap-4 sm:grid-cols-2">
          <TextField
            label="Annotators per image"
            type="number"
            min={1}
            max={20}
            step={1}
            value={perImage}
            onChange={(e) => setPerImage(e.target.value)}
            disabled={!editable}
            error={perImage !== "" ? perImageError : undefined}
            hint="1: every image is labelled once. More: several people label each image; where they disagree, reviewers decide."
            data-testid="annotators-per-image"
          />
          <TextField
            label="Lease time (minutes)"
            type="number"
            min={0.25}
            max={60}
            step={0.25}
            value={leaseMinutes}
            onChange={(e) => setLeaseMinutes(e.target.value)}
            disabled={!editable}
            error={leaseMinutes !== "" ? leaseError : undefined}
            hint="An image handed to an annotator who stops working goes back to the others after this long."
            data-testid="lease-minutes"
          />
        </div>
        {editable && (
          <div className="flex items-center justify-end gap-3">
            {update.isSuccess && !dirty && <span className="text-sm text-emerald-700">Saved.</span>}
            <Button type="submit" variant="primary" disabled={!dirty || !!perImageError || !!leaseError} loading={update.isPending} data-testid="save-labelling-settings">
              Save
            </Button>
          </div>
        )}
      </form>
    </Card>
  );
}
