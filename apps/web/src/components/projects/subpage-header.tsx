"use client";
// The top of a project's sub-page (training, models, suggestions, review, experiments, settings): breadcrumb, title with
// my role, who is online and whether changes arrive live, and the project's tab row.
import type { ReactNode } from "react";
import type { Project } from "~/lib/api-types";
import { LiveIndicator } from "../live/live-indicator";
import { PresenceAvatars } from "../live/presence-avatars";
import { RoleBadge } from "../ui/badge";
import { ProjectBreadcrumb } from "./project-breadcrumb";
import { ProjectTabs } from "./project-tabs";

export function SubpageHeader({ project, title, children }: { project: Project; title: ReactNode; children?: ReactNode }) {
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <ProjectBreadcrumb project={project} />
          <div className="flex items-center gap-2">
            <h1 className="text-2xl font-semibold tracking-tight">{title}</h1>
            <RoleBadge role={project.role} />
          </div>
        </div>
        <div className="flex flex-wrap items-center gap-2">
          {children}
          <PresenceAvatars projectId={project.id} />
          <LiveIndicator projectId={project.id} />
        </div>
      </div>
      <ProjectTabs project={project} />
    </div>
  );
}
