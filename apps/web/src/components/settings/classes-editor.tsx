"use client";
// The project's label classes: add, rename, recolour, change hotkey, reorder, delete (owners only).
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { LabelClass } from "~/lib/api-types";
import { errorMessage } from "~/lib/errors";
import { nextColor, nextHotkey } from "~/lib/palette";
import { useTRPC } from "~/lib/trpc";
import { type ClassDraft, ClassFields } from "../projects/class-fields";
import { Alert } from "../ui/alert";
import { ColorDot } from "../ui/badge";
import { Button } from "../ui/button";
import { Card } from "../ui/card";

function useRefreshClasses() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.classes.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.projects.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.images.pathKey() }),
    ]);
}

export function ClassesEditor({ projectId, classes, editable }: { projectId: string; classes: LabelClass[]; editable: boolean }) {
  const trpc = useTRPC();
  const refresh = useRefreshClasses();
  const reorder = useMutation(trpc.classes.reorder.mutationOptions({ onSettled: refresh }));
  const move = (from: number, to: number) => {
    const ids = classes.map((c) => c.id);
    const [moved] = ids.splice(from, 1);
    ids.splice(to, 0, moved!);
    reorder.mutate({ projectId, classIds: ids });
  };
  return (
    <Card title="Classes" description={editable ? "The labels images get. Hotkeys label the current image in the labelling view." : "Only owners can change classes."}>
      {reorder.error && <Alert>{errorMessage(reorder.error)}</Alert>}
      {classes.length === 0 && <p className="pb-3 text-sm text-slate-500">No classes yet.</p>}
      <ul className="divide-y divide-slate-100" data-testid="classes-list">
        {classes.map((c, i) =>
          editable ? (
            <ClassRow
              key={`${c.id}:${c.name}:${c.color}:${c.hotkey}`}
              projectId={projectId}
              labelClass={c}
              first={i === 0}
              last={i === classes.length - 1}
              onMove={(d) => move(i, i + d)}
              moving={reorder.isPending}
            />
          ) : (
            <li key={c.id} className="flex items-center gap-3 py-2 text-sm">
              <ColorDot color={c.color} className="size-3" />
              <span className="flex-1">{c.name}</span>
              {c.hotkey && <kbd className="rounded bg-slate-100 px-1.5 font-mono text-xs">{c.hotkey}</kbd>}
            </li>
          ),
        )}
      </ul>
      {editable && <AddClass projectId={projectId} classes={classes} />}
    </Card>
  );
}

function ClassRow({ projectId, labelClass, first, last, onMove, moving }: { projectId: string; labelClass: LabelClass; first: boolean; last: boolean; onMove: (d: -1 | 1) => void; moving: boolean }) {
  const trpc = useTRPC();
  const refresh = useRefreshClasses();
  const saved: ClassDraft = { name: labelClass.name, color: labelClass.color, hotkey: labelClass.hotkey };
  const [draft, setDraft] = useState(saved);
  const update = useMutation(trpc.classes.update.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.classes.delete.mutationOptions({ onSuccess: refresh }));
  const dirty = draft.name !== saved.name || draft.color !== saved.color || draft.hotkey !== saved.hotkey;
  const error = update.error ?? remove.error;
  return (
    <li className="py-2" data-testid="class-row">
      <div className="flex items-center gap-2">
        <div className="flex flex-col">
          <button
            type="button"
            className="px-1 text-xs leading-none text-slate-400 hover:text-slate-800 disabled:opacity-30"
            disabled={first || moving}
            onClick={() => onMove(-1)}
            aria-label={`Move ${labelClass.name} up`}
          >
            ▲
          </button>
          <button
            type="button"
            className="px-1 text-xs leading-none text-slate-400 hover:text-slate-800 disabled:opacity-30"
            disabled={last || moving}
            onClick={() => onMove(1)}
            aria-label={`Move ${labelClass.name} down`}
          >
            ▼
          </button>
        </div>
        <form
          className="flex min-w-0 flex-1 items-center gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            if (dirty) update.mutate({ projectId, classId: labelClass.id, name: draft.name.trim(), color: draft.color, hotkey: draft.hotkey });
          }}
        >
          <ClassFields value={draft} onChange={setDraft} />
          {dirty && (
            <>
              <Button type="submit" size="sm" variant="primary" loading={update.isPending}>
                Save
              </Button>
              <Button size="sm" variant="ghost" onClick={() => setDraft(saved)}>
                Undo
              </Button>
            </>
          )}
        </form>
        <Button
          size="sm"
          variant="dangerGhost"
          loading={remove.isPending}
          onClick={() => {
            if (window.confirm(`Delete the class "${labelClass.name}"? Images labelled with it become unlabelled.`)) remove.mutate({ projectId, classId: labelClass.id });
          }}
        >
          Delete
        </Button>
      </div>
      {error && <p className="mt-1 pl-7 text-xs text-rose-600">{errorMessage(error)}</p>}
    </li>
  );
}

function AddClass({ projectId, classes }: { projectId: string; classes: LabelClass[] }) {
  const trpc = useTRPC();
  const refresh = useRefreshClasses();
  const fresh = (): ClassDraft => ({ name: "", color: nextColor(classes.map((c) => c.color)), hotkey: nextHotkey(classes.map((c) => c.hotkey)) });
  const [draft, setDraft] = useState<ClassDraft | null>(null);
  const create = useMutation(
    trpc.classes.create.mutationOptions({
      onSuccess: async () => {
        setDraft(null);
        await refresh();
      },
    }),
  );
  if (!draft)
    return (
      <Button size="sm" className="mt-3" onClick={() => setDraft(fresh())} data-testid="add-class">
        + Add class
      </Button>
    );
  return (
    <form
      className="mt-3 space-y-2 rounded-md bg-slate-50 p-3"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate({ projectId, name: draft.name.trim(), color: draft.color, hotkey: draft.hotkey });
      }}
    >
      <div className="flex items-center gap-2">
        <ClassFields value={draft} onChange={setDraft} autoFocus />
        <Button type="submit" size="sm" variant="primary" loading={create.isPending} disabled={!draft.name.trim()}>
          Add
        </Button>
        <Button size="sm" variant="ghost" onClick={() => setDraft(null)}>
          Cancel
        </Button>
      </div>
      {create.error && <p className="text-xs text-rose-600">{errorMessage(create.error)}</p>}
    </form>
  );
}
