"use client";
// One published model version: what it is (stage, parent), whether it serves, how good it is on held-out human labels
// (accuracy with its interval and count, next to the baselines on the same labels; per-class accuracy, confusion
// matrix), how it was made (provenance), and its files to download.
import Link from "next/link";
import type { LabelClass, RouterOutputs } from "~/lib/api-types";
import { formatCount, formatDate } from "~/lib/format";
import { baselineName, formatAccuracy, formatShortfall, pct } from "~/lib/models/accuracy";
import { modelStageNames } from "~/lib/training/format";
import { Alert } from "../ui/alert";
import { Badge } from "../ui/badge";
import { buttonClass } from "../ui/button";
import { ConfusionMatrix } from "./confusion-matrix";

type Version = RouterOutputs["models"]["list"][number];

const kindNames = { teacher: "Teacher", student: "Student", encoder: "Encoder" } as const;
const methodWords = { classifier: "accuracy", knn: "kNN accuracy", linear: "linear-probe accuracy" } as const;
const servingWords = { teacher: "serving · suggestions", student: "serving · download and demo" } as const;

export function ModelCard({ version: v, classesById, parentVersion, projectId }: { version: Version; classesById: Map<string, LabelClass>; parentVersion: number | undefined; projectId: string }) {
  const names = v.classIds.map((id) => classesById.get(id)?.name ?? "deleted class");
  const m = v.metrics;
  return (
    <section className="rounded-lg bg-white shadow-xs ring-1 ring-slate-200" data-testid="model-version" data-version={v.version} data-stage={v.stage}>
      <header className="flex flex-wrap items-start justify-between gap-3 border-b border-slate-100 px-5 py-4">
        <div>
          <h2 className="flex flex-wrap items-center gap-2 text-base font-semibold text-slate-900">
            v{v.version} · {modelStageNames[v.stage as keyof typeof modelStageNames] ?? v.stage}
            {m && (
              <Badge className={v.beatsBaselines === false ? "bg-amber-50 text-amber-800 ring-amber-200" : "bg-emerald-50 text-emerald-700 ring-emerald-200"}>
                <span data-testid="model-accuracy">{formatAccuracy(m)}</span>&nbsp;{methodWords[m.method]}
              </Badge>
            )}
            {v.serving && (
              <Badge className="bg-indigo-600 text-white ring-indigo-600">
                <span data-testid="serving-badge" data-role={v.serving}>
                  {servingWords[v.serving]}
                </span>
              </Badge>
            )}
          </h2>
          <p className="mt-0.5 text-xs text-slate-500">
            {formatDate(v.createdAt)} · {formatCount(v.imageCount)} images, {formatCount(v.labelledCount)} labelled
            {m?.trainLabels !== undefined ? ` (${formatCount(m.trainLabels)} to train on, ${formatCount(m.heldOut)} held out)` : ""}
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
            <Link href={`/projects/${projectId}/models/demo?version=${v.id}`} className={buttonClass(v.serving === "student" ? "primary" : "secondary", "sm")} data-testid="open-demo">
              Try it in the browser
            </Link>
          )}
        </div>
      </header>
      <div className="grid gap-5 px-5 py-4 lg:grid-cols-[1fr_auto]">
        <div className="space-y-4">
          {v.regression && (
            <Alert tone="warning">
              <span data-testid="regression-note">
                <strong>Regression: not served</strong> (worse than v{v.regression.version}, {pct(v.regression.accuracy)}).
              </span>
            </Alert>
          )}
          {v.withinNoiseOf && (
            <Alert tone="info">
              <span data-testid="within-noise-note">
                <strong>Serving, though v{v.withinNoiseOf.version} read higher</strong> ({pct(v.withinNoiseOf.accuracy)}): the difference is within the noise of the held-out labels (one standard
                error, {(v.withinNoiseOf.margin * 100).toFixed(1)} points), so the newer version serves.
              </span>
            </Alert>
          )}
          {m && v.bestBaseline && v.beatsBaselines === false && (
            <Alert tone="warning">
              <span data-testid="baseline-warning">
                <strong>Does not beat the best baseline</strong> ({baselineName(v.bestBaseline.name)} {pct(v.bestBaseline.accuracy)}) on the same labels.
              </span>
            </Alert>
          )}
          {m ? (
            <>
              <p className="text-sm text-slate-600">
                {m.method === "knn" ? "Nearest-neighbour accuracy of the encoder's features" : m.method === "linear" ? "Linear-probe accuracy of the encoder's features" : "Accuracy"} on{" "}
                {formatCount(m.heldOut)} held-out human labels: <strong className="text-slate-900">{pct(m.accuracy)}</strong>
                {m.interval && (
                  <>
                    {" "}
                    (95% interval {pct(m.interval.low)}–{pct(m.interval.high)})
                  </>
                )}
                {m.teacherAgreement !== undefined && <> · agrees with its teacher on {pct(m.teacherAgreement)}</>}
              </p>
              {m.baselines && m.baselines.length > 0 && <Baselines baselines={m.baselines} best={v.bestBaseline} beats={v.beatsBaselines} trainLabels={m.trainLabels} />}
              {m.head && (
                <p className="text-xs text-slate-500" data-testid="model-head">
                  Head <strong className="font-medium text-slate-700">{m.head.chosen}</strong>, the best on held-out labels of {m.head.candidates.map((c) => `${c.name} ${pct(c.accuracy)}`).join(", ")}
                </p>
              )}
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
            <p className="text-sm text-slate-500" data-testid="no-accuracy">
              {v.heldOutShortfall
                ? `${formatShortfall(v.heldOutShortfall)}: the trainer measures a version only on enough held-out human labels.`
                : "No metrics: there were not enough human labels to hold some out when this version was made."}
            </p>
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

/** The baselines trained on the same labels and scored on the same held-out labels, the best one marked. */
function Baselines({
  baselines,
  best,
  beats,
  trainLabels,
}: {
  baselines: NonNullable<NonNullable<Version["metrics"]>["baselines"]>;
  best: Version["bestBaseline"];
  beats: boolean | null;
  trainLabels: number | undefined;
}) {
  return (
    <div className="text-sm" data-testid="baselines">
      <h3 className="text-xs font-medium text-slate-500">Baselines on the same {trainLabels !== undefined ? `${formatCount(trainLabels)} training labels` : "training labels"} and held-out labels</h3>
      <ul className="mt-1 flex flex-wrap gap-1.5">
        {[...baselines]
          .sort((a, b) => b.accuracy - a.accuracy)
          .map((b) => {
            const isBest = best !== null && b.name === best.name && b.accuracy === best.accuracy;
            return (
              <li
                key={b.name}
                className={`rounded px-2 py-0.5 text-xs tabular-nums ring-1 ring-inset ${isBest ? (beats === false ? "bg-amber-50 text-amber-900 ring-amber-300" : "bg-slate-100 text-slate-800 ring-slate-300") : "text-slate-600 ring-slate-200"}`}
                data-testid="baseline"
                data-name={b.name}
              >
                {baselineName(b.name)} <strong className="font-semibold">{pct(b.accuracy)}</strong>
                {b.interval && (
                  <span className="text-slate-400">
                    {" "}
                    ({(b.interval.low * 100).toFixed(1)}–{(b.interval.high * 100).toFixed(1)})
                  </span>
                )}
              </li>
            );
          })}
      </ul>
    </div>
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
