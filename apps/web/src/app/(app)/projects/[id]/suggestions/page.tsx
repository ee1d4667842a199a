"use client";
// /projects/[id]/suggestions: the model's suggestions for unlabelled images, reviewed by the team, one by one in a list
// or class by class in a gallery (`?view=gallery`, so the view survives a reload and can be linked).
import { useQuery } from "@tanstack/react-query";
import { useCallback, useEffect, useState } from "react";
import { useParams } from "next/navigation";
import { ProjectLoadError } from "~/components/projects/project-load-error";
import { SubpageHeader } from "~/components/projects/subpage-header";
import { SuggestionGallery } from "~/components/suggestions/suggestion-gallery";
import { SuggestionQueue } from "~/components/suggestions/suggestion-queue";
import { LoadingPanel } from "~/components/ui/spinner";
import { useProjectLive } from "~/lib/realtime/use-project-live";
import { useTRPC } from "~/lib/trpc";
import { useDocumentTitle } from "~/lib/use-document-title";

export default function SuggestionsPage() {
  const { id: projectId } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const project = useQuery(trpc.projects.get.queryOptions({ projectId }));
  useProjectLive(projectId);
  const [view, setView] = useView();
  const name = project.data?.name;
  useDocumentTitle(name && `Suggestions · ${name}`);
  if (project.isPending) return <LoadingPanel label="Loading project…" />;
  if (project.isError) return <ProjectLoadError error={project.error} />;
  const p = project.data;
  return (
    <main className="mx-auto max-w-5xl space-y-5 px-4 py-8 sm:px-6" data-testid="suggestions-page">
      <SubpageHeader project={p} title="Model suggestions" />
      <div className="inline-flex rounded-md bg-slate-100 p-0.5" role="group" aria-label="View">
        {views.map((v) => (
          <button
            key={v.value}
            type="button"
            aria-pressed={view === v.value}
            onClick={() => setView(v.value)}
            data-testid={`view-${v.value}`}
            title={v.title}
            className={`rounded px-3 py-1 text-sm font-medium transition ${view === v.value ? "bg-white text-slate-900 shadow-xs" : "text-slate-600 hover:text-slate-900"}`}
          >
            {v.label}
          </button>
        ))}
      </div>
      {view === "gallery" ? <SuggestionGallery projectId={p.id} classes={p.classes} /> : <SuggestionQueue projectId={p.id} classes={p.classes} role={p.role} />}
    </main>
  );
}

type View = "list" | "gallery";
const views: { value: View; label: string; title: string }[] = [
  { value: "list", label: "List", title: "One suggestion at a time, with the runner-up classes" },
  { value: "gallery", label: "Gallery by class", title: "All suggestions of one class at a glance: mark the wrong ones, accept the rest" },
];

/** The view, kept in the address's `view` parameter (read after mounting: the page is rendered without it). */
function useView(): [View, (v: View) => void] {
  const [view, set] = useState<View>("list");
  useEffect(() => {
    if (new URLSearchParams(window.location.search).get("view") === "gallery") set("gallery");
  }, []);
  const setView = useCallback((v: View) => {
    set(v);
    const url = new URL(window.location.href);
    if (v === "list") url.searchParams.delete("view");
    else url.searchParams.set("view", v);
    window.history.replaceState(window.history.state, "", url);
  }, []);
  return [view, setView];
}
