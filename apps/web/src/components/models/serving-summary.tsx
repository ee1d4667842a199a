"use client";
// The top of the Models page: which teacher and student serve (the best on held-out labels, not the newest), the
// default downloads (the serving versions'), and held-out accuracy over all versions against the best baseline.
import Link from "next/link";
import type { ReactNode } from "react";
import type { RouterOutputs } from "~/lib/api-types";
import { baselineName, formatAccuracy, formatShortfall, pct } from "~/lib/models/accuracy";
import { buttonClass } from "../ui/button";
import { AccuracyChart } from "./accuracy-chart";

type Version = RouterOutputs["models"]["list"][number];

export function ServingSummary({ versions, projectId }: { versions: Version[]; projectId: string }) {
  const teacher = versions.find((v) => v.serving === "teacher") ?? null;
  const student = versions.find((v) => v.serving === "student") ?? null;
  return (
    <section className="rounded-lg bg-white shadow-xs ring-1 ring-slate-200" data-testid="serving-summary">
      <header className="border-b border-slate-100 px-5 py-4">
        <h2 className="text-base font-semibold text-slate-900">Serving now</h2>
        <p className="mt-0.5 text-sm text-slate-500">The version with the best accuracy on held-out human labels serves, not the newest; a worse retrain is kept but not used.</p>
      </header>
      <div className="grid gap-5 px-5 py-4 md:grid-cols-2">
        <Serving role="Teacher" what="suggests labels for the unlabelled images" version={teacher} testId="serving-teacher">
          {teacher?.downloads.teacher && (
            <a href={teacher.downloads.teacher.zip} download className={buttonClass("secondary", "sm")} data-testid="default-download-teacher">
              Download the teacher (.zip)
            </a>
          )}
        </Serving>
        <Serving role="Student" what="the small model to download and run in the browser" version={student} testId="serving-student">
          {student?.downloads.student && (
            <>
              <a href={student.downloads.student.zip} download className={buttonClass("primary", "sm")} data-testid="default-download-student">
                Download the student (.zip)
              </a>
              <Link href={`/projects/${projectId}/models/demo?version=${student.id}`} className={buttonClass("secondary", "sm")} data-testid="serving-demo">
                Try it in the browser
              </Link>
            </>
          )}
        </Serving>
      </div>
      {versions.length > 0 && (
        <div className="border-t border-slate-100 px-5 py-4">
          <h3 className="mb-2 text-xs font-medium text-slate-500">Held-out accuracy by version</h3>
          <AccuracyChart versions={versions} />
        </div>
      )}
    </section>
  );
}

function Serving({ role, what, version: v, testId, children }: { role: string; what: string; version: Version | null; testId: string; children: ReactNode }) {
  return (
    <div className="space-y-2" data-testid={testId} data-version={v?.version}>
      <div>
        <h3 className="text-sm font-semibold text-slate-900">
          {role}
          {v ? ` · v${v.version}` : ""}
        </h3>
        <p className="text-xs text-slate-500">{what}</p>
      </div>
      {v ? (
        <>
          <p className="text-sm text-slate-700">
            {v.metrics ? (
              <>
                <strong className="tabular-nums">{formatAccuracy(v.metrics)}</strong>
                {v.bestBaseline && (
                  <span className={v.beatsBaselines ? "text-slate-500" : "font-medium text-amber-700"}>
                    {" "}
                    · {v.beatsBaselines ? "beats" : "does not beat"} {baselineName(v.bestBaseline.name)} {pct(v.bestBaseline.accuracy)}
                  </span>
                )}
              </>
            ) : (
              <span className="text-slate-500">{v.heldOutShortfall ? formatShortfall(v.heldOutShortfall) : "No accuracy measured"}</span>
            )}
          </p>
          <div className="flex flex-wrap gap-1.5">{children}</div>
        </>
      ) : (
        <p className="text-sm text-slate-500">None yet.</p>
      )}
    </div>
  );
}
