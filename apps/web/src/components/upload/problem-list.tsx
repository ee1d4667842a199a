// Files the server refused or warned about, each with its reason.
import type { FileProblem } from "~/lib/upload/send-chunk";

const tones = { rose: "text-rose-700", amber: "text-amber-700" } as const;

export function ProblemList({ title, problems, tone, testId }: { title: string; problems: FileProblem[]; tone: keyof typeof tones; testId: string }) {
  return (
    <details open className="rounded-lg ring-1 ring-slate-200">
      <summary className={`cursor-pointer px-3 py-2 text-sm font-medium ${tones[tone]}`}>{title}</summary>
      <ul data-testid={testId} className="max-h-56 divide-y divide-slate-100 overflow-auto border-t border-slate-100">
        {problems.map((p, i) => (
          <li key={i} className="px-3 py-1.5 text-xs" data-code={p.code}>
            <div className="truncate font-mono text-slate-800" title={p.path}>
              {p.path}
            </div>
            <div className="text-slate-500">{p.message}</div>
          </li>
        ))}
      </ul>
    </details>
  );
}
