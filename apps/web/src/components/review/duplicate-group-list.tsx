"use client";
// Near-duplicate groups (issue 17): images the trainer finds to be the same picture, side by side, those whose labels
// straddle the held-out split first (they inflate held-out accuracy). A reviewer keeps one (the others are hidden: out
// of the grid, the work queue and training, kept with their history) or finds them different pictures; both undo.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { LabelClass, RouterOutputs } from "~/lib/api-types";
import { errorMessage } from "~/lib/errors";
import { formatCount, plural } from "~/lib/format";
import { useTRPC, useTRPCClient } from "~/lib/trpc";
import { Alert } from "../ui/alert";
import { ColorDot } from "../ui/badge";
import { useToast } from "../ui/toast";

type Group = RouterOutputs["review"]["duplicates"]["items"][number];

export function DuplicateGroupList({ projectId, classes, canDecide }: { projectId: string; classes: LabelClass[]; canDecide: boolean }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const toast = useToast();
  const list = useQuery(trpc.review.duplicates.queryOptions({ projectId, limit: 30 }));
  const [busy, setBusy] = useState<string | null>(null);
  const byId = new Map(classes.map((c) => [c.id, c]));

  const settle = async (group: Group, action: { kind: "keep"; imageId: string } | { kind: "distinct" }) => {
    setBusy(group.id);
    try {
      const { hidden } = await client.review.resolveDuplicates.mutate({ projectId, groupId: group.id, action });
      const kept =
        action.kind === "keep"
          ? group.images
              .find((i) => i.id === action.imageId)
              ?.filename.split("/")
              .pop()
          : null;
      toast.show({
        text: kept ? `Kept ${kept}; ${plural(hidden, "copy", "copies")} hidden.` : `Marked ${group.images.length} images as different pictures.`,
        action: {
          label: "Undo",
          run: () =>
            void client.review.reopenDuplicates.mutate({ projectId, groupId: group.id }).then(
              () => {
                toast.show({ text: "Undone: the group is open again." });
                void list.refetch();
              },
              (err: unknown) => toast.show({ text: errorMessage(err), tone: "error" }),
            ),
        },
      });
      void list.refetch();
    } catch (err) {
      toast.show({ text: errorMessage(err), tone: "error" });
      void list.refetch();
    } finally {
      setBusy(null);
    }
  };

  if (list.isPending || list.isError) return list.isError ? <Alert>{errorMessage(list.error)}</Alert> : null;
  const { items, total, straddling } = list.data;
  if (items.length === 0) return toast.element;
  return (
    <section className="space-y-3" data-testid="duplicate-groups">
      <div>
        <h2 className="text-base font-semibold text-slate-900">Possible duplicates</h2>
        <p className="text-sm text-slate-500" data-testid="duplicate-total" data-count={total}>
          {formatCount(total)} {total === 1 ? "group" : "groups"} of images that look like the same picture (resized, re-encoded, cropped a little, lighter or darker)
          {straddling > 0 ? `; ${formatCount(straddling)} with labels on both sides of the held-out split, which make held-out accuracy look better than it is` : ""}. Keep one and hide the others, or
          mark them as different pictures.
        </p>
      </div>
      <ul className="space-y-3">
        {items.map((group) => (
          <li key={group.id} className="rounded-lg bg-white p-3 shadow-xs ring-1 ring-slate-200" data-testid="duplicate-group" data-group-id={group.id}>
            <div className="mb-2 flex flex-wrap items-center gap-2 text-xs text-slate-500">
              <span>
                {group.images.length} images, {Math.round(group.similarity * 1000) / 10}% alike
              </span>
              {group.straddlesHoldout && (
                <span className="rounded-full bg-amber-50 px-2 py-0.5 font-medium text-amber-800 ring-1 ring-amber-200" data-testid="straddles-holdout">
                  on both sides of the held-out split
                </span>
              )}
              {canDecide && (
                <button
                  type="button"
                  disabled={busy === group.id}
                  onClick={() => void settle(group, { kind: "distinct" })}
                  className="ml-auto rounded-md px-2 py-1 font-medium text-slate-600 hover:bg-slate-100 disabled:opacity-50"
                  data-testid="duplicates-distinct"
                >
                  Different pictures
                </button>
              )}
            </div>
            <div className="flex flex-wrap gap-3">
              {group.images.map((image) => {
                const c = image.labelClassId ? byId.get(image.labelClassId) : undefined;
                return (
                  <figure key={image.id} className="w-36 space-y-1" data-testid="duplicate-image" data-image-id={image.id}>
                    <img src={`/api/images/${image.id}/thumbnail`} alt={image.filename} loading="lazy" className="aspect-square w-full rounded bg-slate-100 object-contain ring-1 ring-slate-200" />
                    <figcaption className="space-y-0.5 text-xs">
                      <div className="truncate font-mono text-slate-500" title={image.filename}>
                        {image.filename.split("/").pop()}
                      </div>
                      <div className="flex items-center gap-1 text-slate-700">
                        {c ? (
                          <>
                            <ColorDot color={c.color} className="size-2" />
                            {c.name}
                          </>
                        ) : (
                          <span className="text-slate-400">unlabelled</span>
                        )}
                        <span className="ml-auto text-slate-400 tabular-nums">
                          {image.width}×{image.height}
                        </span>
                      </div>
                      {canDecide && (
                        <button
                          type="button"
                          disabled={busy === group.id}
                          onClick={() => void settle(group, { kind: "keep", imageId: image.id })}
                          className="mt-1 w-full rounded-md bg-white px-2 py-1 font-medium text-slate-700 ring-1 ring-slate-300 ring-inset hover:bg-slate-50 disabled:opacity-50"
                          data-testid="duplicates-keep"
                        >
                          Keep this one
                        </button>
                      )}
                    </figcaption>
                  </figure>
                );
              })}
            </div>
          </li>
        ))}
      </ul>
      {toast.element}
    </section>
  );
}
