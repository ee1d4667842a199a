// Downloads of the project's labels: links to the export route, which answers with an attachment.
import { buttonClass } from "../ui/button";

const formats = [
  { format: "csv", label: "CSV", title: "filename,label,annotator,source,labelled_at" },
  { format: "json", label: "JSON", title: "Every image with its label, as JSON" },
  { format: "zip", label: "ImageNet zip", title: "Images in one folder per class" },
] as const;

export function ExportButtons({ projectId }: { projectId: string }) {
  return (
    <div className="inline-flex items-center gap-1.5">
      <span className="mr-1 text-xs font-medium text-slate-500">Export</span>
      {formats.map((f) => (
        <a key={f.format} href={`/api/projects/${projectId}/export?format=${f.format}`} download data-testid={`export-${f.format}`} title={f.title} className={buttonClass("secondary", "sm")}>
          {f.label}
        </a>
      ))}
    </div>
  );
}
