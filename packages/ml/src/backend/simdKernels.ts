// Hand-written wasm SIMD kernels (packages/ml/assembly, AssemblyScript compiled at install by
// scripts/build-kernels.mjs) for what composing tfjs-backend-wasm's ops does slowly:
//   - the filter gradient of a convolution. Composed as one XNNPACK convolution (./wasmTraining.ts) it runs at
//     half the forward convolution's speed, because the "filter" (dy) is as large as an activation and is
//     re-streamed from memory for every block of outputs; the kernel walks the positions in cache-sized chunks
//     and keeps a 4 x 8 block of dW in registers, which matches the forward convolution's GFLOP/s.
//   - training-mode batch normalisation: as tfjs ops its forward and backward take ~15 broadcasting passes over
//     the activation (none of them SIMD); here each is two passes: per-channel sums, then a per-channel affine.
//   - the convolution (forward, any stride; and the input gradient, which ./wasmTraining.ts writes as stride-1
//     convolutions): a direct convolution over a zero-padded copy of each image with a 4-position x
//     8-channel register tile, 1.3x XNNPACK's speed here, 1.6x with fused multiply-add.
// Where the engine compiles relaxed SIMD, the build with fused multiply-add (kernels-relaxed.wasm) is used.
// The module imports the wasm backend's own memory and works on tensors where they lie (no copies); scratch
// space comes from the backend's malloc. Node only: in a browser (inference) the composed kernels stay.

/** An NHWC convolution: input [n, h, w, ci], output [n, ho, wo, co], filter [kh, kw, ci, co], strides sh, sw. */
export interface ConvShape {
  n: number;
  h: number;
  w: number;
  ci: number;
  ho: number;
  wo: number;
  co: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  /** Zero padding before the first row / column (negative: cropped). */
  top: number;
  left: number;
}

/** Kernels bound to one wasm backend's memory; arguments are byte offsets into that memory. */
export interface SimdKernels {
  /** Whether the build with fused multiply-add runs. */
  readonly fusedMultiplyAdd: boolean;
  /** out [n, ho, wo, co] = the convolution of x [n, h, w, ci] with filter [kh, kw, ci, co] (dilation 1). */
  conv2d(out: number, x: number, filter: number, s: ConvShape): void;
  /** dW [kh, kw, ci, co] of an NHWC convolution from x [n, h, w, ci] and dy [n, ho, wo, co]. */
  conv2dFilterGrad(x: number, dy: number, s: ConvShape, dW: number): void;
  /** Per-channel sums of (a - shiftA) and (a - shiftA) * (b - shiftB) over [m, c] (c a multiple of 4), in float64. */
  channelMoments(a: number, b: number, m: number, c: number, shiftA: Float32Array, shiftB: Float32Array): { sumA: Float64Array; sumAB: Float64Array };
  /** out = a * k1 + b * k2 + k3 per channel over [m, c] (b = 0: no b term). */
  channelAffine(out: number, a: number, b: number, m: number, c: number, k1: Float32Array, k2: Float32Array | null, k3: Float32Array): void;
}

/** What the kernels need of tfjs-backend-wasm's emscripten module (its exports `memory`, `malloc`, `free`). */
export interface WasmHeap {
  memory: WebAssembly.Memory;
  malloc(bytes: number): number;
  free(ptr: number): void;
}

interface Exports {
  copyChannels(dst: number, src: number, positions: number, c: number, dstStride: number, srcStride: number): void;
  conv2d(...args: number[]): void;
  conv2dFilterGrad(...args: number[]): void;
  channelMoments(a: number, b: number, m: number, c: number, shiftA: number, shiftB: number, sumA: number, sumAB: number): void;
  channelAffine(out: number, a: number, b: number, m: number, c: number, k1: number, k2: number, k3: number): void;
}

// Positions per chunk: what keeps a chunk of x and dy in the L1/L2 caches and still amortises the
// accumulators' loads and stores (measured on the bench shapes: 64-256 are within noise, 512 is slower).
const CHUNK_POSITIONS = 128;

export function bindSimdKernels(exports: Exports, heap: WasmHeap, fusedMultiplyAdd: boolean): SimdKernels {
  /** Runs fn with `bytes` of 16-byte-aligned scratch from the backend's malloc. */
  const withScratch = <T>(bytes: number, fn: (p: number) => T): T => {
    const block = heap.malloc(bytes + 16);
    if (!block) throw new Error("out of wasm memory");
    try {
      return fn((block + 15) & ~15);
    } finally {
      heap.free(block);
    }
  };
  return {
    fusedMultiplyAdd,
    conv2d(out, x, filter, s) {
      const cip = Math.ceil(s.ci / 4) * 4,
        cop = Math.ceil(s.co / 8) * 8;
      const hp = (s.ho - 1) * s.sh + s.kh,
        wp = (s.wo - 1) * s.sw + s.kw;
      const repack = cip !== s.ci || cop !== s.co;
      const filterBytes = repack ? s.kh * s.kw * cip * cop * 4 : 0;
      // Output channels not a multiple of 8 (the first layer's input gradient: 1 or 3 channels): computed
      // padded to 8 in scratch, then the real channels copied out.
      const outBytes = cop !== s.co ? s.n * s.ho * s.wo * cop * 4 : 0;
      withScratch(filterBytes + outBytes + hp * wp * cip * 4, (p) => {
        let f = filter;
        if (repack) {
          // Filter padded to [kh, kw, cip, cop] with zeros.
          const heapF = new Float32Array(heap.memory.buffer);
          heapF.fill(0, p / 4, (p + filterBytes) / 4);
          for (let t = 0; t < s.kh * s.kw; t++) {
            for (let i = 0; i < s.ci; i++) {
              const src = filter / 4 + (t * s.ci + i) * s.co;
              heapF.copyWithin(p / 4 + (t * cip + i) * cop, src, src + s.co);
            }
          }
          f = p;
        }
        const o = outBytes ? p + filterBytes : out;
        exports.conv2d(o, x, f, p + filterBytes + outBytes, s.n, s.h, s.w, s.ci, s.ho, s.wo, cop, s.kh, s.kw, s.sh, s.sw, s.top, s.left);
        if (outBytes) exports.copyChannels(out, o, s.n * s.ho * s.wo, s.co, s.co, cop);
      });
    },
    channelMoments(a, b, m, c, shiftA, shiftB) {
      return withScratch(24 * c, (p) => {
        const shifts = new Float32Array(heap.memory.buffer, p + 16 * c, 2 * c);
        shifts.set(shiftA, 0);
        shifts.set(shiftB, c);
        exports.channelMoments(a, b, m, c, p + 16 * c, p + 20 * c, p, p + 8 * c);
        const all = new Float64Array(heap.memory.buffer, p, 2 * c).slice();
        return { sumA: all.subarray(0, c), sumAB: all.subarray(c) };
      });
    },
    channelAffine(out, a, b, m, c, k1, k2, k3) {
      withScratch(12 * c, (p) => {
        const f = new Float32Array(heap.memory.buffer, p, 3 * c);
        f.set(k1, 0);
        if (k2) f.set(k2, c);
        f.set(k3, 2 * c);
        exports.channelAffine(out, a, b, m, c, p, p + 4 * c, p + 8 * c);
      });
    },
    conv2dFilterGrad(x, dy, s, dW) {
      const cip = Math.ceil(s.ci / 4) * 4,
        cop = Math.ceil(s.co / 8) * 8;
      const hp = (s.ho - 1) * s.sh + s.kh,
        wp = (s.wo - 1) * s.sw + s.kw;
      const per = s.ho * s.wo;
      // Small feature maps: several whole images per chunk; large ones: a few rows of one image.
      const group = per >= CHUNK_POSITIONS ? 1 : Math.max(1, Math.min(s.n, Math.floor(CHUNK_POSITIONS / per)));
      const rows = per >= CHUNK_POSITIONS ? Math.max(1, Math.floor(CHUNK_POSITIONS / s.wo)) : s.ho;
      const padded = cip !== s.ci || cop !== s.co;
      const dWBytes = padded ? s.kh * s.kw * cip * cop * 4 : 0;
      // Small feature maps: gather each tap's positions into a contiguous block first (see the kernel).
      const gather = s.wo < 16 ? 1 : 0;
      const scratchBytes = group * (hp * wp * cip + per * cop) * 4 + (gather ? group * Math.min(rows, s.ho) * s.wo * cip * 4 : 0);
      // 16-byte alignment for the v128 loads and stores.
      const block = heap.malloc(dWBytes + scratchBytes + 32);
      if (!block) throw new Error("conv2dFilterGrad: out of wasm memory");
      try {
        const base = (block + 15) & ~15;
        const target = padded ? base : dW;
        exports.conv2dFilterGrad(target, x, dy, base + dWBytes, s.n, s.h, s.w, s.ci, s.ho, s.wo, s.co, s.kh, s.kw, s.sh, s.sw, s.top, s.left, group, rows, gather);
        if (padded) {
          // The kernel's dW has channels padded to [cip, cop]; copy out the real [ci, co] block.
          const f = new Float32Array(heap.memory.buffer);
          for (let t = 0; t < s.kh * s.kw; t++) {
            for (let i = 0; i < s.ci; i++) {
              const src = base / 4 + (t * cip + i) * cop;
              f.copyWithin(dW / 4 + (t * s.ci + i) * s.co, src, src + s.co);
            }
          }
        }
      } finally {
        heap.free(block);
      }
    },
  };
}

type Compiled = { module: WebAssembly.Module | null; fusedMultiplyAdd: boolean; reason: string };
let compiled: Promise<Compiled> | undefined;

/**
 * Compiles the kernels once per thread: the relaxed-SIMD build where the engine takes it, else the plain one;
 * `module` is null (with the reason) where neither can run. FEWLABEL_WASM_FMA=0 keeps the plain build.
 */
export function compileSimdKernels(): Promise<Compiled> {
  compiled ??= (async () => {
    const proc = (globalThis as { process?: { versions?: { node?: string }; env?: Record<string, string | undefined> } }).process;
    if (!proc?.versions?.node) return { module: null, fusedMultiplyAdd: false, reason: "not in Node" };
    const { readFile } = await import("node:fs/promises");
    const read = async (file: string) => new Uint8Array(await readFile(new URL(`../../build/${file}`, import.meta.url)));
    if (proc.env?.FEWLABEL_WASM_FMA !== "0") {
      try {
        const bytes = await read("kernels-relaxed.wasm");
        if (!WebAssembly.validate(bytes)) {
          // Node 20's V8 (11.3) has relaxed SIMD behind a flag (on by default from V8 11.4). The flag only gates
          // what the compiler accepts, so turning it on before compiling is enough.
          const v8 = await import("node:v8");
          v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
        }
        return { module: await WebAssembly.compile(bytes), fusedMultiplyAdd: true, reason: "wasm relaxed SIMD (fused multiply-add)" };
      } catch {
        // fall through to the plain build
      }
    }
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = await read("kernels.wasm");
    } catch {
      return { module: null, fusedMultiplyAdd: false, reason: "build/kernels.wasm missing (npm install builds it)" };
    }
    try {
      return { module: await WebAssembly.compile(bytes), fusedMultiplyAdd: false, reason: "wasm SIMD" };
    } catch (e) {
      return { module: null, fusedMultiplyAdd: false, reason: `kernels.wasm does not compile here: ${(e as Error).message}` };
    }
  })();
  return compiled;
}

/** The kernels on the heap of a tfjs-backend-wasm backend, or the reason they cannot be used. */
export async function simdKernelsFor(backend: unknown): Promise<{ kernels: SimdKernels | null; reason: string }> {
  const { module, fusedMultiplyAdd, reason } = await compileSimdKernels();
  if (!module) return { kernels: null, reason };
  const asm = (backend as { wasm?: { asm?: Partial<WasmHeap> } } | undefined)?.wasm?.asm;
  if (!(asm?.memory instanceof WebAssembly.Memory) || typeof asm.malloc !== "function" || typeof asm.free !== "function") {
    return { kernels: null, reason: "the wasm backend does not expose its memory and malloc" };
  }
  const heap = asm as WasmHeap;
  const instance = await WebAssembly.instantiate(module, { env: { memory: heap.memory } });
  return { kernels: bindSimdKernels(instance.exports as unknown as Exports, heap, fusedMultiplyAdd), reason };
}
