"use client";
// One published model version: what it is (stage, parent), how good it is on held-out human labels (accuracy,
// per-class accuracy, confusion matrix), how it was made (provenance), and its files to download.
import Link from "next/link";
import type { LabelClass, RouterOutputs } from "~/lib/api-types";
import { formatCount, formatDate } from "~/lib/format";
import { modelStageNames } from "~/lib/training/format";
import { Badge } from "../ui/badge";
import { buttonClass } from "../ui/button";
import { ConfusionMatrix } from "./confusion-matrix";

type Version = RouterOutputs["models"]["list"][number];

const kindNames = { teacher: "Teacher", student: "Student", encoder: "Encoder" } as const;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function ModelCard({ version: v, classesById, parentVersion, projectId }: { version: Version; classesById: Map<string, LabelClass>; parentVersion: number | undefined; projectId: string }) {
  const names = v.classIds.map((id) => classesById.get(id)?.name ?? "deleted class");
  const m = v.metrics;
  return (
    <section className="rounded-lg bg-white shadow-xs ring-1 ring-slate-200" data-testid="model-version" data-version={v.version} data-stage={v.stage}>
      <header className="flex flex-wrap items-start justify-between gap-3 border-b border-slate-100 px-5 py-4">
        <div>
          <h2 className="flex items-center gap-2 text-base font-semibold text-slate-900">
            v{v.version} · {modelStageNames[v.stage as keyof typeof modelStageNames] ?? v.stage}
            {m && (
              <Badge className="bg-emerald-50 text-emerald-700 ring-emerald-200">
                <span data-testid="model-accuracy">{pct(m.accuracy)}</span>&nbsp;{m.method === "knn" ? "kNN accuracy" : "accuracy"}
              </Badge>
            )}
          </h2>
          <p className="mt-0.5 text-xs text-slate-500">
            {formatDate(v.createdAt)} · trained on {formatCount(v.imageCount)} images, {formatCount(v.labelledCount)} labelled
            {parentVersion !== undefined ? ` · from v${parentVersion}` : ""}
          </p>
        </div>
        <div className="flex flex-wrap items-center gap-1.5">
          {(Object.keys(v.downloads) as (keyof typeof kindNames)[]).map((kind) => (
            <a key={kind} href={v.downloads[kind]!.zip} download className={buttonClass("secondary", "sm")} data-testid={`download-${kind}`} title="model.json, weights and metadata.json as a zip">
              {kindNames[kind]} .zip
            </a>
          ))}
          {v.downloads.student && (
            <Link href={`/projects/${projectId}/models/demo?version=${v.id}`} className={buttonClass("primary", "sm")} data-testid="open-demo">
              Try it in the browser
            </Link>
          )}
        </div>
      </header>
      <div className="grid gap-5 px-5 py-4 lg:grid-cols-[1fr_auto]">
        <div className="space-y-4">
          {m ? (
            <>
              <p className="text-sm text-slate-600">
                {m.method === "knn" ? "Nearest-neighbour accuracy of the encoder's features" : "Accuracy"} on {formatCount(m.heldOut)} held-out human labels:{" "}
                <strong className="text-slate-900">{pct(m.accuracy)}</strong>
                {m.teacherAgreement !== undefined && <> · agrees with its teacher on {pct(m.teacherAgreement)}</>}
              </p>
              <table className="text-sm" data-testid="per-class-accuracy">
                <thead className="text-xs text-slate-500">
                  <tr>
                    <th className="pr-4 text-left font-medium">Class</th>
                    <th className="pr-4 text-right font-medium">Accuracy</th>
                    <th className="text-right font-medium">Held out</th>
                  </tr>
                </thead>
                <tbody>
                  {m.perClass.map((p) => (
                    <tr key={p.classId}>
                      <td className="pr-4">{classesById.get(p.classId)?.name ?? "deleted class"}</td>
                      <td className="pr-4 text-right tabular-nums">{p.accuracy === null ? "–" : pct(p.accuracy)}</td>
                      <td className="text-right text-slate-500 tabular-nums">{p.count}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          ) : (
            <p className="text-sm text-slate-500">No metrics: there were not enough human labels to hold some out when this version was made.</p>
          )}
          <Provenance provenance={v.provenance} />
        </div>
        {m && m.confusion.length > 0 && (
          <div>
            <h3 className="mb-1 text-xs font-medium text-slate-500">Confusion matrix (held-out labels)</h3>
            <ConfusionMatrix names={names} matrix={m.confusion} />
          </div>
        )}
      </div>
    </section>
  );
}

function Provenance({ provenance }: { provenance: Record<string, unknown> }) {
  const entries = Object.entries(provenance).filter(([, v]) => v !== null && v !== undefined && v !== "");
  if (entries.length === 0) return null;
  const show = (v: unknown) => (typeof v === "number" ? (Number.isInteger(v) ? formatCount(v) : v.toPrecision(4)) : typeof v === "string" ? v : JSON.stringify(v));
  return (
    <details className="text-xs text-slate-600" data-testid="provenance">
      <summary className="cursor-pointer font-medium text-slate-500">How it was made</summary>
      <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1">
        {entries.map(([k, v]) => (
          <div key={k} className="contents">
            <dt className="text-slate-500">{k}</dt>
            <dd className="font-mono break-all">{show(v)}</dd>
          </div>
        ))}
      </dl>
    </details>
  );
}
