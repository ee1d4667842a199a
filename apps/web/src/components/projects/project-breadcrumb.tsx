// "Projects / <project> /" above the title of a project's sub-pages.
import Link from "next/link";

export function ProjectBreadcrumb({ project }: { project: { id: string; name: string } }) {
  return (
    <nav className="mb-1 text-xs text-slate-500">
      <Link href="/" className="hover:text-slate-700">
        Projects
      </Link>{" "}
      /{" "}
      <Link href={`/projects/${project.id}`} className="hover:text-slate-700">
        {project.name}
      </Link>{" "}
      /
    </nav>
  );
}
