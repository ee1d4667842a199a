"use client";
// The in-browser demo of a distilled student: TensorFlow.js (loaded only on this page) fetches the served model.json
// and weights, preprocesses a dropped or picked image (or webcam frames) as the model's metadata.json says, and shows
// the top-k classes with the measured latency of one prediction. Nothing is sent to the server.
import type * as tfjs from "@tensorflow/tfjs";
import { type DragEvent, useCallback, useEffect, useRef, useState } from "react";
import { toInputTensor, type StudentMetadata } from "~/lib/models/preprocess";
import { type Prediction, softmax, topK } from "~/lib/models/top-k";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "~/lib/trpc";
import { Alert } from "../ui/alert";
import { Button, buttonClass } from "../ui/button";
import { Spinner } from "../ui/spinner";

interface Loaded {
  tf: typeof tfjs;
  model: tfjs.LayersModel;
  meta: StudentMetadata;
  backend: string;
  loadMs: number;
}

interface Result {
  predictions: Prediction[];
  latencyMs: number;
}

const TOP_K = 5;

/** One prediction; latency covers preprocessing, the forward pass and reading the result back. */
async function classify(l: Loaded, source: CanvasImageSource & { width: number; height: number }): Promise<Result> {
  const t0 = performance.now();
  const input = toInputTensor(l.tf, source, l.meta);
  const output = l.model.predict(input) as tfjs.Tensor;
  const values = await output.data();
  const latencyMs = performance.now() - t0;
  l.tf.dispose([input, output]);
  const probabilities = l.meta.output === "logits" ? softmax(values) : Array.from(values);
  return { predictions: topK(probabilities, l.meta.classes, TOP_K), latencyMs };
}

/**
 * TensorFlow.js backends the demo offers. "auto": WebGPU where the browser gives an adapter, else what TensorFlow.js
 * picks (WebGL where it works, else the CPU); the page says which ran.
 */
export const demoBackends = ["auto", "webgpu", "webgl", "cpu"] as const;
export type DemoBackend = (typeof demoBackends)[number];

export function StudentDemo({ modelJsonUrl, backend = "auto", projectId }: { modelJsonUrl: string; backend?: DemoBackend; projectId?: string }) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [result, setResult] = useState<Result | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [preview, setPreview] = useState<string | null>(null);
  const [over, setOver] = useState(false);

  useEffect(() => {
    let cancelled = false;
    let model: tfjs.LayersModel | null = null;
    setLoaded(null);
    setLoadError(null);
    setResult(null);
    void (async () => {
      try {
        const t0 = performance.now();
        const tf = await import("@tensorflow/tfjs");
        if (backend === "webgpu" || backend === "auto") {
          // Registered only where asked for or possible, so other browsers never load its code.
          const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
          const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
          if (adapter) {
            await import("@tensorflow/tfjs-backend-webgpu");
            if (!(await tf.setBackend("webgpu")) && backend === "webgpu") throw new Error("the webgpu backend did not start in this browser");
          } else if (backend === "webgpu") throw new Error("this browser offers no WebGPU adapter");
        }
        // A small student can be quicker on the CPU than through WebGL (no shader compilation, no upload).
        if (backend !== "auto" && backend !== "webgpu" && !(await tf.setBackend(backend))) throw new Error(`the ${backend} backend is not available in this browser`);
        await tf.ready();
        const metaUrl = modelJsonUrl.replace(/model\.json$/, "metadata.json");
        const [m, metaResponse] = await Promise.all([tf.loadLayersModel(modelJsonUrl), fetch(metaUrl)]);
        model = m;
        if (!metaResponse.ok) throw new Error(`metadata.json: ${metaResponse.status} ${metaResponse.statusText}`);
        const meta = (await metaResponse.json()) as StudentMetadata;
        const l: Loaded = { tf, model: m, meta, backend: tf.getBackend(), loadMs: 0 };
        // The whole pipeline once on a blank canvas: the backend compiles its kernels (WebGL shaders) now, not during
        // the first measured prediction.
        const blank = document.createElement("canvas");
        blank.width = blank.height = meta.inputSize * 2;
        await classify(l, blank);
        if (cancelled) return m.dispose();
        setLoaded({ ...l, loadMs: performance.now() - t0 });
      } catch (err) {
        if (!cancelled) setLoadError(err instanceof Error ? err.message : String(err));
      }
    })();
    return () => {
      cancelled = true;
      model?.dispose();
    };
  }, [modelJsonUrl, backend]);

  const run = useCallback(
    async (file: File) => {
      if (!loaded) return;
      setError(null);
      if (!file.type.startsWith("image/")) {
        setError(`${file.name} is not an image.`);
        return;
      }
      const url = URL.createObjectURL(file);
      try {
        const img = new Image();
        img.src = url;
        await img.decode();
        setPreview((old) => (old && URL.revokeObjectURL(old), url));
        setResult(await classify(loaded, img));
      } catch (err) {
        URL.revokeObjectURL(url);
        setError(`Could not read ${file.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
    [loaded],
  );

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const file = e.dataTransfer.files[0];
    if (file) void run(file);
  };

  if (loadError) return <Alert>Could not load the student model: {loadError}</Alert>;
  if (!loaded)
    return (
      <div className="flex items-center gap-2 py-10 text-sm text-slate-500" role="status">
        <Spinner /> Loading TensorFlow.js and the student model…
      </div>
    );

  return (
    <div className="space-y-4" data-testid="student-demo" data-backend={loaded.backend}>
      <p className="text-xs text-slate-500" data-testid="demo-model-info">
        {loaded.meta.classes.length} classes · input {loaded.meta.inputSize}×{loaded.meta.inputSize} {loaded.meta.preprocessing.colorSpace} · TensorFlow.js backend <strong>{loaded.backend}</strong> ·
        loaded in {Math.round(loaded.loadMs)} ms
      </p>
      <div className="grid gap-5 md:grid-cols-2">
        <div
          onDragOver={(e) => {
            e.preventDefault();
            setOver(true);
          }}
          onDragLeave={() => setOver(false)}
          onDrop={onDrop}
          className={`flex min-h-64 flex-col items-center justify-center gap-3 rounded-lg border-2 border-dashed p-4 text-center text-sm transition ${over ? "border-indigo-400 bg-indigo-50" : "border-slate-300 bg-white"}`}
          data-testid="demo-dropzone"
        >
          {preview ? (
            <img src={preview} alt="The image classified" className="size-48 rounded object-contain [image-rendering:pixelated]" data-testid="demo-preview" />
          ) : (
            <p className="text-slate-500">Drop an image here</p>
          )}
          <label className={buttonClass("secondary", "sm", "cursor-pointer")}>
            Choose an image…
            <input
              type="file"
              accept="image/*"
              className="sr-only"
              data-testid="demo-input"
              onChange={(e) => {
                const f = e.target.files?.[0];
                if (f) void run(f);
                e.target.value = "";
              }}
            />
          </label>
          <Webcam loaded={loaded} onResult={setResult} onError={setError} />
          {projectId && <ProjectPicker projectId={projectId} onPick={(f) => void run(f)} onError={setError} />}
        </div>
        <div>
          {error && <Alert>{error}</Alert>}
          {result ? <Predictions result={result} /> : <p className="text-sm text-slate-500">The student&apos;s top {TOP_K} classes appear here, computed in this browser.</p>}
        </div>
      </div>
    </div>
  );
}

/** Formats a browser decodes itself; others (TIFF, for one) are tried through the server's PNG training copy. */
const browserDecodes = /\.(png|jpe?g|webp|gif|avif|bmp)$/i;

/**
 * A few of the project's own images to try the student on without leaving the page: the image's stored original
 * (fetched as a member) goes through the same path as a chosen file; where the browser cannot decode the original
 * (TIFF), the training copy, the PNG the trainer itself learns from.
 */
function ProjectPicker({ projectId, onPick, onError }: { projectId: string; onPick: (f: File) => void; onError: (m: string) => void }) {
  const trpc = useTRPC();
  const images = useQuery(trpc.images.list.queryOptions({ projectId, limit: 12 }));
  const items = images.data?.items ?? [];
  if (items.length === 0) return null;
  const pick = async (id: string, filename: string) => {
    try {
      const original = browserDecodes.test(filename);
      const res = await fetch(`/api/images/${id}/${original ? "original" : "training"}`);
      if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
      const blob = await res.blob();
      const name = filename.split("/").pop()!;
      onPick(new File([blob], original ? name : `${name.replace(/\.[^.]*$/, "")}.png`, { type: blob.type || "image/png" }));
    } catch (err) {
      onError(`Could not fetch ${filename}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  return (
    <div className="w-full border-t border-slate-100 pt-3" data-testid="demo-project-images">
      <p className="mb-2 text-xs text-slate-500">Or one of this project&apos;s images:</p>
      <div className="flex flex-wrap justify-center gap-1.5">
        {items.map((i) => (
          <button
            key={i.id}
            type="button"
            onClick={() => void pick(i.id, i.filename)}
            title={i.filename}
            className="size-12 overflow-hidden rounded ring-1 ring-slate-200 hover:ring-indigo-400 focus-visible:ring-2 focus-visible:ring-indigo-500"
            data-testid="demo-project-image"
          >
            <img src={`/api/images/${i.id}/thumbnail`} alt={i.filename} className="size-full object-cover" />
          </button>
        ))}
      </div>
    </div>
  );
}

function Predictions({ result }: { result: Result }) {
  return (
    <div className="space-y-3">
      <ol className="space-y-2" data-testid="demo-predictions">
        {result.predictions.map((p, i) => (
          <li key={p.index} data-testid="demo-prediction" data-class-name={p.name} data-probability={p.probability}>
            <div className="flex justify-between text-sm">
              <span className={i === 0 ? "font-semibold text-slate-900" : "text-slate-700"}>{p.name}</span>
              <span className="text-slate-600 tabular-nums">{(p.probability * 100).toFixed(1)}%</span>
            </div>
            <div className="mt-0.5 h-1.5 overflow-hidden rounded-full bg-slate-200">
              <div className={`h-full rounded-full ${i === 0 ? "bg-indigo-600" : "bg-slate-400"}`} style={{ width: `${p.probability * 100}%` }} />
            </div>
          </li>
        ))}
      </ol>
      <p className="text-xs text-slate-500" data-testid="demo-latency" data-ms={result.latencyMs.toFixed(2)}>
        Latency: <strong className="text-slate-700 tabular-nums">{result.latencyMs < 10 ? result.latencyMs.toFixed(1) : Math.round(result.latencyMs)} ms</strong> (preprocessing, forward pass and
        reading back)
      </p>
    </div>
  );
}

/** Optional: classify webcam frames continuously (a few per second) while it is on. */
function Webcam({ loaded, onResult, onError }: { loaded: Loaded; onResult: (r: Result) => void; onError: (m: string) => void }) {
  const video = useRef<HTMLVideoElement>(null);
  const [stream, setStream] = useState<MediaStream | null>(null);
  useEffect(() => {
    if (!stream || !video.current) return;
    const v = video.current;
    v.srcObject = stream;
    void v.play();
    let stopped = false;
    const tick = async () => {
      if (stopped) return;
      if (v.videoWidth > 0) {
        const frame = document.createElement("canvas");
        frame.width = v.videoWidth;
        frame.height = v.videoHeight;
        frame.getContext("2d")!.drawImage(v, 0, 0);
        onResult(await classify(loaded, frame));
      }
      setTimeout(() => void tick(), 250);
    };
    void tick();
    return () => {
      stopped = true;
      for (const t of stream.getTracks()) t.stop();
    };
  }, [stream, loaded, onResult]);
  if (typeof navigator === "undefined" || !navigator.mediaDevices?.getUserMedia) return null;
  return stream ? (
    <div className="space-y-2">
      <video ref={video} muted playsInline className="max-h-40 rounded" />
      <Button size="sm" onClick={() => setStream(null)}>
        Stop webcam
      </Button>
    </div>
  ) : (
    <Button
      size="sm"
      variant="ghost"
      onClick={() => void navigator.mediaDevices.getUserMedia({ video: true }).then(setStream, (err: unknown) => onError(`Webcam: ${err instanceof Error ? err.message : String(err)}`))}
    >
      Use the webcam
    </Button>
  );
}
