"use client";
// The tab row of every project page: images, labelling, the embedding map, review, suggestions, training, models, experiments and
// settings, the current one marked, so that going from Training to Suggestions is one click from anywhere.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname } from "next/navigation";
import type { Project } from "~/lib/api-types";
import { formatCount } from "~/lib/format";
import { canReview } from "~/lib/roles";
import { useTRPC } from "~/lib/trpc";

export function ProjectTabs({ project }: { project: Project }) {
  const pathname = usePathname();
  const base = `/projects/${project.id}`;
  // How many model suggestions await review (kept current by the live events).
  const pending = useQuery(useTRPC().pseudoLabels.list.queryOptions({ projectId: project.id, limit: 1 })).data?.total;
  const tabs: { href: string; label: string; testId: string; badge?: number }[] = [
    { href: base, label: "Images", testId: "tab-images" },
    { href: `${base}/label`, label: "Label", testId: "tab-label" },
    { href: `${base}/map`, label: "Map", testId: "tab-map" },
    ...(canReview(project.role) ? [{ href: `${base}/review`, label: "Review", testId: "open-review" }] : []),
    { href: `${base}/suggestions`, label: "Suggestions", testId: "open-suggestions", badge: pending || undefined },
    { href: `${base}/training`, label: "Training", testId: "open-training" },
    { href: `${base}/models`, label: "Models", testId: "open-models" },
    { href: `${base}/experiments`, label: "Experiments", testId: "open-experiments" },
    { href: `${base}/settings`, label: "Settings", testId: "project-settings" },
  ];
  // The longest matching prefix is the current tab (models/demo belongs to Models; the project page only to itself).
  const current = tabs.filter((t) => pathname === t.href || (t.href !== base && pathname.startsWith(`${t.href}/`))).map((t) => t.href)[0];
  return (
    <nav aria-label="Project" className="-mb-px overflow-x-auto border-b border-slate-200" data-testid="project-tabs">
      <ul className="flex min-w-max gap-1">
        {tabs.map((t) => {
          const active = t.href === current;
          return (
            <li key={t.href}>
              <Link
                href={t.href}
                aria-current={active ? "page" : undefined}
                data-testid={t.testId}
                data-active={active}
                className={`flex items-center gap-1.5 border-b-2 px-3 py-2 text-sm font-medium transition focus-visible:outline-2 focus-visible:outline-indigo-500 ${active ? "border-indigo-600 text-indigo-700" : "border-transparent text-slate-600 hover:border-slate-300 hover:text-slate-900"}`}
              >
                {t.label}
                {t.badge ? (
                  <span className="rounded-full bg-indigo-600 px-1.5 text-[10px] leading-4 font-semibold text-white tabular-nums" data-testid="pending-suggestions">
                    {formatCount(t.badge)}
                  </span>
                ) : null}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
