"use client";
// Creating a project: name, description and the first label classes (more can be added later in settings).
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import { errorMessage, fieldErrors } from "~/lib/errors";
import { nextColor, nextHotkey } from "~/lib/palette";
import { useTRPC } from "~/lib/trpc";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";
import { TextAreaField, TextField } from "../ui/field";
import { type ClassDraft, ClassFields } from "./class-fields";

export function NewProjectForm({ onCancel }: { onCancel: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [classes, setClasses] = useState<ClassDraft[]>([]);
  const create = useMutation(
    trpc.projects.create.mutationOptions({
      onSuccess: async (p) => {
        await queryClient.invalidateQueries({ queryKey: trpc.projects.list.queryKey() });
        router.push(`/projects/${p.id}`);
      },
    }),
  );

  const addClass = () => setClasses((cs) => [...cs, { name: "", color: nextColor(cs.map((c) => c.color)), hotkey: nextHotkey(cs.map((c) => c.hotkey)) }]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const named = classes.filter((c) => c.name.trim());
    create.mutate({ name, description, classes: named.map((c) => ({ name: c.name.trim(), color: c.color, hotkey: c.hotkey })) });
  };
  const errors = fieldErrors(create.error);

  return (
    <form onSubmit={submit} className="space-y-5" data-testid="new-project-form">
      {create.error && !errors.name && !errors.description && <Alert>{errorMessage(create.error)}</Alert>}
      <TextField label="Project name" name="name" value={name} onChange={(e) => setName(e.target.value)} error={errors.name} placeholder="e.g. Pets 2025" autoFocus maxLength={120} />
      <TextAreaField
        label="Description"
        name="description"
        value={description}
        onChange={(e) => setDescription(e.target.value)}
        error={errors.description}
        placeholder="What are we labelling, and how?"
        rows={2}
      />
      <div className="space-y-2">
        <div className="flex items-center justify-between">
          <span className="text-sm font-medium text-slate-700">Classes</span>
          <span className="text-xs text-slate-500">Colour · name · hotkey</span>
        </div>
        {classes.length === 0 && <p className="text-sm text-slate-500">No classes yet. Add some now, or let folder names create them when you upload.</p>}
        <ul className="space-y-2">
          {classes.map((c, i) => (
            <li key={i} className="flex items-center gap-2" data-testid="new-class-row">
              <ClassFields value={c} autoFocus={i === classes.length - 1 && !c.name} onChange={(v) => setClasses((cs) => cs.map((x, j) => (j === i ? v : x)))} />
              <Button variant="ghost" size="sm" aria-label={`Remove class ${c.name || i + 1}`} onClick={() => setClasses((cs) => cs.filter((_, j) => j !== i))}>
                ✕
              </Button>
            </li>
          ))}
        </ul>
        {errors.classes && <p className="text-xs text-rose-600">{errors.classes}</p>}
        <Button size="sm" onClick={addClass} data-testid="add-class">
          + Add class
        </Button>
      </div>
      <div className="flex justify-end gap-2 border-t border-slate-100 pt-4">
        <Button variant="ghost" onClick={onCancel}>
          Cancel
        </Button>
        <Button type="submit" variant="primary" loading={create.isPending}>
          Create project
        </Button>
      </div>
    </form>
  );
}
