// Picks the fastest TensorFlow.js backend this process can run, best first:
// tensorflow (tfjs-node-gpu / tfjs-node, optional installs) -> webgpu (Dawn through the `webgpu` npm package)
// -> wasm (XNNPACK, with the training kernels from ./wasmTraining) -> cpu (pure JS, last resort).
// FEWLABEL_TF_BACKEND=<name>[,<name>...] overrides the order; naming webgpu there also admits software adapters
// (Mesa llvmpipe / lavapipe), which auto-selection skips because wasm beats them on a CPU.
import { tf } from "../tf.js";
import { useWebGPUKernels } from "./webgpuTraining.js";
import { GPU_BLOCKING, SOFTWARE_BLOCKING, setConvBlocking } from "./webgpuConv.js";
import { registerWasmTrainingKernels } from "./wasmTraining.js";
import { simdKernelsFor } from "./simdKernels.js";

export type BackendName = "tensorflow" | "webgpu" | "wasm" | "cpu";
export const BACKEND_ORDER: readonly BackendName[] = ["tensorflow", "webgpu", "wasm", "cpu"];

export interface BackendReport {
  /** The backend tf now runs on. */
  name: BackendName;
  /** What exactly runs: the native package, the GPU adapter, the wasm flavour. */
  detail: string;
  /** Backends tried before this one, with why each was passed over. */
  skipped: { name: BackendName; reason: string }[];
  /** Whether the work runs on a GPU (webgpu on a hardware adapter, tfjs-node-gpu) or on the CPU. */
  accelerator: "gpu" | "cpu";
}

export interface SelectBackendOptions {
  /** Order to try; defaults to FEWLABEL_TF_BACKEND or BACKEND_ORDER. */
  order?: readonly BackendName[];
  /** Accept a software (CPU-emulated) WebGPU adapter. Default: only when webgpu was asked for by name. */
  allowSoftwareWebGPU?: boolean;
  /** Print the choice on stderr. */
  log?: boolean;
}

function parseOrder(value: string | undefined): BackendName[] | undefined {
  if (!value) return undefined;
  const names = value
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const n of names) {
    if (!(BACKEND_ORDER as readonly string[]).includes(n)) {
      throw new Error(`FEWLABEL_TF_BACKEND: unknown backend "${n}" (expected ${BACKEND_ORDER.join(", ")})`);
    }
  }
  return names as BackendName[];
}

const env = (): Record<string, string | undefined> => (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};

/** Selects and initialises a backend; resolves once `tf.getBackend()` returns it. */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<BackendReport> {
  const fromEnv = parseOrder(env().FEWLABEL_TF_BACKEND);
  const order = options.order ?? fromEnv ?? BACKEND_ORDER;
  const explicit = options.order !== undefined || fromEnv !== undefined;
  const allowSoftware = options.allowSoftwareWebGPU ?? (explicit && order.includes("webgpu"));
  const skipped: BackendReport["skipped"] = [];
  for (const name of order) {
    try {
      const detail = await initBackend(name, { allowSoftware });
      const gpu = (name === "webgpu" && !detail.includes("(software)")) || (name === "tensorflow" && detail.includes("tfjs-node-gpu"));
      const report: BackendReport = { name, detail, skipped, accelerator: gpu ? "gpu" : "cpu" };
      if (options.log) {
        const why = skipped.map((s) => `${s.name}: ${s.reason}`).join("; ");
        console.error(`[fewlabel/ml] backend ${name} (${detail})${why ? `; skipped ${why}` : ""}`);
      }
      return report;
    } catch (e) {
      skipped.push({ name, reason: e instanceof Error ? e.message.split("\n")[0]! : String(e) });
    }
  }
  throw new Error(`no TensorFlow.js backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join("; ")}`);
}

async function activate(name: string): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`tf.setBackend('${name}') failed`);
  await tf.ready();
}

// A variable module specifier keeps bundlers and tsc from insisting the optional package exists.
const importOptional = (specifier: string): Promise<unknown> => import(/* @vite-ignore */ specifier);

async function initBackend(name: BackendName, o: { allowSoftware: boolean }): Promise<string> {
  switch (name) {
    case "tensorflow": {
      let pkg = "";
      const errors: string[] = [];
      for (const candidate of ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"]) {
        try {
          await importOptional(candidate);
          pkg = candidate;
          break;
        } catch (e) {
          errors.push(`${candidate} not installed`);
          void e;
        }
      }
      if (!pkg) throw new Error(errors.join(", "));
      await activate("tensorflow");
      return pkg;
    }
    case "webgpu":
      return initWebGPU(o.allowSoftware);
    case "wasm": {
      const wasm = await import("@tensorflow/tfjs-backend-wasm");
      const dir = await wasmDistDir();
      if (dir) wasm.setWasmPaths(dir);
      await activate("wasm");
      const simd = await simdKernelsFor(tf.backend());
      registerWasmTrainingKernels(simd.kernels);
      return `XNNPACK${dir ? "" : " (wasm files from the bundler)"}, ${tf.env().getBool("WASM_HAS_SIMD_SUPPORT") ? "SIMD" : "no SIMD"}, single thread; ${simd.kernels ? `fewlabel SIMD kernels for convolutions, their gradients and batch norm${simd.kernels.fusedMultiplyAdd ? " (fused multiply-add)" : ""}` : `training kernels composed from XNNPACK ops (${simd.reason})`}`;
    }
    case "cpu":
      await activate("cpu");
      return "pure JavaScript";
  }
}

/** Directory of the wasm binaries inside node_modules (Node only; in a browser the bundler serves them). */
async function wasmDistDir(): Promise<string | undefined> {
  if (!(globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node) return undefined;
  const { createRequire } = await import("node:module");
  const path = await import("node:path");
  const main = createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm");
  return path.dirname(main) + path.sep;
}

type GPULike = {
  requestAdapter(o?: Record<string, unknown>): Promise<AdapterLike | null>;
  wgslLanguageFeatures?: unknown;
  getPreferredCanvasFormat?: () => string;
};
type AdapterLike = { info?: Record<string, unknown>; isFallbackAdapter?: boolean; features: Set<string> };

function describeAdapter(a: AdapterLike): { text: string; software: boolean } {
  const i = a.info ?? {};
  const text = [i.vendor, i.architecture, i.device, i.description].filter((s) => typeof s === "string" && s).join(" ");
  const software = a.isFallbackAdapter === true || /llvmpipe|lavapipe|swiftshader|softpipe|software/i.test(text);
  return { text: text || "unknown adapter", software };
}

let webgpuAdapterText = "";

/**
 * Whether Dawn finds a hardware adapter, asked in a child process whose output is dropped (Node only). Null when it
 * cannot be asked so (not Node) or the answer is unreadable: the caller then asks in-process as before.
 */
async function probeWebGPUQuietly(): Promise<{ found: boolean; why: string } | null> {
  const node = (globalThis as { process?: { versions?: { node?: string }; execPath?: string } }).process;
  if (!node?.versions?.node || !node.execPath) return null;
  const { createRequire } = await import("node:module");
  const { pathToFileURL } = await import("node:url");
  const { execFile } = await import("node:child_process");
  let entry: string;
  try {
    entry = pathToFileURL(createRequire(import.meta.url).resolve("webgpu")).href;
  } catch {
    return { found: false, why: "the webgpu package is not installed" };
  }
  const script = `
    process.env.EGL_PLATFORM ??= "surfaceless";
    const m = await import(${JSON.stringify(entry)});
    const w = m.create ? m : m.default;
    Object.assign(globalThis, w.globals);
    const a = await w.create([]).requestAdapter({ powerPreference: "high-performance" }).catch(() => null);
    process.stdout.write(JSON.stringify(a ? { info: { ...(a.info ?? {}) }, isFallbackAdapter: a.isFallbackAdapter === true } : null));
    process.exit(0);`;
  const out = await new Promise<{ stdout: string } | { failed: string }>((resolve) => {
    execFile(node.execPath!, ["--input-type=module", "-e", script], { timeout: 30_000, maxBuffer: 1 << 20 }, (err, stdout) =>
      resolve(err ? { failed: err.killed ? "the probe timed out" : `the probe exited (${err.code ?? err.signal ?? "error"})` } : { stdout: String(stdout) }),
    );
  });
  // A probe that crashed or hung would have taken the trainer down with it in-process: Dawn is not loaded then.
  if ("failed" in out) return { found: false, why: out.failed };
  try {
    const adapter = JSON.parse(out.stdout.trim().split("\n").pop() ?? "null") as { info: Record<string, unknown>; isFallbackAdapter: boolean } | null;
    if (!adapter) return { found: false, why: "no adapter" };
    const d = describeAdapter({ ...adapter, features: new Set() });
    return d.software ? { found: false, why: `software adapter ${d.text} (slower than wasm; set FEWLABEL_TF_BACKEND=webgpu to use it)` } : { found: true, why: d.text };
  } catch {
    return null;
  }
}

async function initWebGPU(allowSoftware: boolean): Promise<string> {
  const g = globalThis as { navigator?: { gpu?: GPULike } };
  if (!g.navigator?.gpu) {
    if (!env().EGL_PLATFORM) (globalThis as { process?: { env: Record<string, string> } }).process!.env.EGL_PLATFORM = "surfaceless";
    // On a machine without a GPU, creating Dawn's instance prints its Vulkan loader's complaints (with a build path
    // from Dawn's CI) to the process's stderr, where a CPU-only user reads them on every start as if something were
    // broken. So unless software adapters are wanted, a child process looks first and the trainer loads Dawn only
    // when there is a hardware adapter to use; the backend chosen is then reported in one line as before.
    if (!allowSoftware) {
      const probed = await probeWebGPUQuietly();
      if (probed !== null && !probed.found) throw new Error(`no usable WebGPU adapter (${probed.why})`);
    }
    const webgpu = (await importOptional("webgpu")) as { create(o: string[]): GPULike; globals: object };
    Object.assign(globalThis, webgpu.globals);
    // Try the platform's native GPU API first (Vulkan on Linux); then, for software rendering only, Dawn's
    // OpenGL ES backend on Mesa, which needs the "compatibility" feature level.
    const candidates: { flags: string[]; extra: Record<string, unknown> }[] = [{ flags: [], extra: {} }];
    if (allowSoftware) candidates.push({ flags: ["backend=opengles"], extra: { featureLevel: "compatibility" } });
    let chosen: GPULike | undefined;
    const seen: string[] = [];
    for (const c of candidates) {
      let gpu: GPULike;
      try {
        gpu = webgpu.create(c.flags);
      } catch (e) {
        seen.push(`${c.flags.join(" ") || "default"}: ${(e as Error).message.split("\n")[0]}`);
        continue;
      }
      const adapter = await gpu.requestAdapter({ powerPreference: "high-performance", ...c.extra }).catch(() => null);
      if (!adapter) {
        seen.push(`${c.flags.join(" ") || "default"}: no adapter`);
        continue;
      }
      const d = describeAdapter(adapter);
      if (d.software && !allowSoftware) {
        seen.push(`software adapter ${d.text} (slower than wasm; set FEWLABEL_TF_BACKEND=webgpu to use it)`);
        continue;
      }
      webgpuAdapterText = `${d.text}${d.software ? " (software)" : ""}${c.flags.length ? `, ${c.flags.join(" ")}` : ""}`;
      // The convolution kernels' block sizes follow the adapter (./webgpuConv.ts).
      setConvBlocking(d.software ? SOFTWARE_BLOCKING : GPU_BLOCKING);
      chosen = {
        requestAdapter: (o) => gpu.requestAdapter({ ...o, ...c.extra }),
        wgslLanguageFeatures: gpu.wgslLanguageFeatures,
        getPreferredCanvasFormat: () => "rgba8unorm",
      };
      break;
    }
    if (!chosen) throw new Error(`no usable WebGPU adapter (${seen.join("; ")})`);
    g.navigator = { ...(g.navigator ?? {}), gpu: chosen };
  }
  await import("@tensorflow/tfjs-backend-webgpu");
  await activate("webgpu");
  // fewlabel's training kernels (tiled, split-K filter gradient; ./webgpuTraining.ts) unless the stock ones are asked
  // for (FEWLABEL_WEBGPU_KERNELS=stock: to compare, or to rule the kernels out).
  const kernels = env().FEWLABEL_WEBGPU_KERNELS === "stock" ? "stock" : "fewlabel";
  useWebGPUKernels(kernels);
  return `Dawn: ${webgpuAdapterText || "adapter from globalThis.navigator.gpu"}; ${kernels === "stock" ? "stock tfjs training kernels" : "fewlabel training kernels"}`;
}
