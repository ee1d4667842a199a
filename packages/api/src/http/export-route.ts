// GET /api/projects/:projectId/export?format=csv|json|zip: download of the project's labels (and images, as zip).
import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { requireProjectAccess } from "../access";
import type { ResolvedSession } from "../auth/sessions";
import type { ApiServices } from "../context";
import { HttpError } from "../errors";
import { type ExportFormat, exportProject } from "../services/export";
import { sendError } from "./respond";

const types: Record<ExportFormat, string> = { csv: "text/csv; charset=utf-8", json: "application/json; charset=utf-8", zip: "application/zip" };

export async function handleExport(_req: IncomingMessage, res: ServerResponse, services: ApiServices, session: ResolvedSession | null, projectId: string, url: URL) {
  try {
    const format = (url.searchParams.get("format") ?? "csv") as ExportFormat;
    if (!(format in types)) throw new HttpError(400, "format must be csv, json or zip.");
    const project = /^[0-9a-f-]{36}$/i.test(projectId) ? projectId : "00000000-0000-0000-0000-000000000000";
    await requireProjectAccess(services.db, session, project, "export");
    const { name } = await services.db.project.findUniqueOrThrow({ where: { id: project }, select: { name: true } });
    const file = `${name.replace(/[^\w.-]+/g, "_").slice(0, 60) || "project"}-labels.${format}`;
    res.writeHead(200, {
      "content-type": types[format],
      "content-disposition": `attachment; filename="${file}"`,
      "cache-control": "no-store",
    });
    await pipeline(exportProject(services, project, format), res);
  } catch (err) {
    sendError(res, err);
  }
}
