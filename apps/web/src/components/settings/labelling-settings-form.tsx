"use client";
// How work is shared out (owners): how many annotators label each image (overlap for quality control), how long
// a claimed image stays with an annotator who has gone quiet before it goes back to the pool, and in which order the
// work queue hands images out (upload order, random, or where the model is least sure: active learning).
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import type { Project } from "~/lib/api-types";
import { errorMessage, fieldErrors } from "~/lib/errors";
import { useTRPC } from "~/lib/trpc";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";
import { Card } from "../ui/card";
import { inputClass, TextField } from "../ui/field";

type QueueOrder = Project["queueOrder"];
const orders: { value: QueueOrder; label: string; hint: string }[] = [
  { value: "OLDEST", label: "Upload order", hint: "Images are handed out oldest first." },
  { value: "RANDOM", label: "Random", hint: "A random unlabelled image each time: labels spread evenly over the collection." },
  {
    value: "LEAST_CONFIDENT",
    label: "Least confident first",
    hint: "Where the model's pending suggestion is least sure (active learning): each label teaches it most. Images without a suggestion follow in upload order.",
  },
  { value: "MARGIN", label: "Smallest margin first", hint: "Where the model hesitates most between its two likeliest classes. Images without a suggestion follow in upload order." },
  {
    value: "DIVERSE",
    label: "Diverse, then uncertain",
    hint: "From the group of look-alike images (clusters of the encoder's embeddings) that has the fewest labels, the one the model hesitates most on: labels cover every kind of image. Images not yet clustered follow in upload order.",
  },
];

export function LabellingSettingsForm({ project, editable }: { project: Project; editable: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [perImage, setPerImage] = useState(String(project.annotatorsPerImage));
  const [leaseMinutes, setLeaseMinutes] = useState(String(+(project.leaseSeconds / 60).toFixed(2)));
  const [order, setOrder] = useState<QueueOrder>(project.queueOrder);
  const update = useMutation(trpc.projects.update.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.projects.pathKey() }) }));
  const errors = fieldErrors(update.error);
  const perImageValue = Number(perImage);
  const leaseSeconds = Math.round(Number(leaseMinutes) * 60);
  const perImageError = !Number.isInteger(perImageValue) || perImageValue < 1 || perImageValue > 20 ? "A whole number from 1 to 20." : errors.annotatorsPerImage;
  const leaseError = !Number.isFinite(leaseSeconds) || leaseSeconds < 15 || leaseSeconds > 3600 ? "Between 0.25 and 60 minutes." : errors.leaseSeconds;
  const dirty = perImageValue !== project.annotatorsPerImage || leaseSeconds !== project.leaseSeconds || order !== project.queueOrder;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (perImageError || leaseError) return;
    update.mutate({ projectId: project.id, annotatorsPerImage: perImageValue, leaseSeconds, queueOrder: order });
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
        <label className="block space-y-1">
          <span className="block text-sm font-medium text-slate-700">Work order</span>
          <select value={order} onChange={(e) => setOrder(e.target.value as QueueOrder)} disabled={!editable} className={inputClass(false, "w-64")} data-testid="queue-order">
            {orders.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
          <span className="block text-xs text-slate-500">{orders.find((o) => o.value === order)?.hint}</span>
        </label>
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
