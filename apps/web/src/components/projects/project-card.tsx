// One project on the home page: name, role, how many images and how far labelling has come.
import Link from "next/link";
import type { ProjectSummary } from "~/lib/api-types";
import { formatCount, percent, plural } from "~/lib/format";
import { RoleBadge } from "../ui/badge";

export function ProjectCard({ project }: { project: ProjectSummary }) {
  const pct = percent(project.labelled, project.images);
  return (
    <Link
      href={`/projects/${project.id}`}
      data-testid="project-card"
      className="group flex flex-col rounded-lg bg-white p-5 shadow-xs ring-1 ring-slate-200 transition hover:shadow-md hover:ring-indigo-300"
    >
      <div className="flex items-start justify-between gap-3">
        <h3 className="truncate font-semibold text-slate-900 group-hover:text-indigo-700">{project.name}</h3>
        <RoleBadge role={project.role} />
      </div>
      <p className="mt-1 line-clamp-2 min-h-10 text-sm text-slate-500">{project.description || "No description."}</p>
      <div className="mt-4 flex items-baseline justify-between text-sm">
        <span className="font-medium text-slate-900">{plural(project.images, "image")}</span>
        <span className="text-slate-500">
          {formatCount(project.labelled)} labelled · {pct}%
        </span>
      </div>
      <div className="mt-2 h-1.5 overflow-hidden rounded-full bg-slate-100" role="progressbar" aria-label="Labelled" aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100}>
        <div className="h-full rounded-full bg-emerald-500" style={{ width: `${pct}%` }} />
      </div>
      <p className="mt-3 text-xs text-slate-400">{plural(project.members, "member")}</p>
    </Link>
  );
}
