"use client";
// Top of a project page: name, my role, counts (which filter the grid when clicked), exports, and the tab row to the
// project's other pages.
import Link from "next/link";
import type { ImageFilter, Project } from "~/lib/api-types";
import { formatCount, percent } from "~/lib/format";
import { LiveIndicator } from "../live/live-indicator";
import { PresenceAvatars } from "../live/presence-avatars";
import { RoleBadge } from "../ui/badge";
import { buttonClass } from "../ui/button";
import { ClassChips } from "../images/class-chips";
import { ExportButtons } from "./export-buttons";
import { ProjectTabs } from "./project-tabs";

interface Stats {
  total: number;
  labelled: number;
  unlabelled: number;
  perClass: { classId: string; count: number }[];
}

export function ProjectHeader({
  project,
  stats,
  filter,
  onFilter,
  describeImage,
}: {
  project: Project;
  stats: Stats | undefined;
  filter: ImageFilter;
  onFilter: (f: ImageFilter) => void;
  /** A person-readable name for an image someone is looking at (presence tooltips). */
  describeImage?: (imageId: string) => string | undefined;
}) {
  const counts = new Map(stats?.perClass.map((c) => [c.classId, c.count]));
  const pct = percent(stats?.labelled ?? 0, stats?.total ?? 0);
  const status = filter.classId ? null : (filter.status ?? "all");
  const stat = (key: "all" | "labelled" | "unlabelled", label: string, value: number | undefined) => (
    <button
      type="button"
      data-testid={`count-${key}`}
      onClick={() => onFilter({ ...filter, status: key, classId: null })}
      className={`rounded-lg px-3 py-1.5 text-left transition ${status === key ? "bg-indigo-50 ring-1 ring-indigo-200" : "hover:bg-slate-100"}`}
    >
      <div className="text-lg leading-tight font-semibold text-slate-900 tabular-nums">{value === undefined ? "–" : formatCount(value)}</div>
      <div className="text-xs text-slate-500">{label}</div>
    </button>
  );
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0">
          <nav className="mb-1 text-xs text-slate-500">
            <Link href="/" className="hover:text-slate-700">
              Projects
            </Link>{" "}
            /
          </nav>
          <div className="flex items-center gap-2">
            <h1 className="truncate text-2xl font-semibold tracking-tight text-slate-900" data-testid="project-name">
              {project.name}
            </h1>
            <RoleBadge role={project.role} />
          </div>
          {project.description && <p className="mt-1 max-w-3xl text-sm text-slate-500">{project.description}</p>}
        </div>
        <div className="flex flex-wrap items-center gap-2">
          <PresenceAvatars projectId={project.id} describe={describeImage} />
          <LiveIndicator projectId={project.id} />
          <ExportButtons projectId={project.id} />
          <Link href={`/projects/${project.id}/label`} className={buttonClass("primary", "sm")} data-testid="start-labelling">
            Label images
          </Link>
        </div>
      </div>
      <div className="flex flex-wrap items-center gap-x-6 gap-y-3">
        <div className="flex items-center gap-1">
          {stat("all", "images", stats?.total)}
          {stat("labelled", "labelled", stats?.labelled)}
          {stat("unlabelled", "unlabelled", stats?.unlabelled)}
        </div>
        <div className="w-40">
          <div className="mb-1 flex justify-between text-xs text-slate-500">
            <span>Progress</span>
            <span>{pct}%</span>
          </div>
          <div className="h-1.5 overflow-hidden rounded-full bg-slate-200" data-testid="project-progress" data-percent={pct}>
            <div className="h-full bg-emerald-500 transition-[width] duration-300" style={{ width: `${pct}%` }} />
          </div>
        </div>
        <div className="w-full min-w-0 lg:w-auto lg:flex-1">
          <ClassChips classes={project.classes} counts={counts} activeClassId={filter.classId ?? null} onSelect={(classId) => onFilter({ ...filter, classId, status: classId ? "labelled" : "all" })} />
        </div>
      </div>
      <ProjectTabs project={project} />
    </div>
  );
}
