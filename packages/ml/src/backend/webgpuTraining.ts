// Training kernels for the webgpu backend (issue 16). The stock tfjs-backend-webgpu 4.22 computes a convolution's
// filter gradient with one invocation per filter weight, each looping serially over batch x height x width (the
// stem's 432 weights each sum 262,144 products at batch 256), and its input gradient as a direct loop per input
// element; both leave most of a GPU idle. Here both are matrix products tiled through workgroup memory:
//   - filter gradient dW[m, n] = sum_k X~[m, k] dY[k, n], m = (r, s, ci), n = co, k = (b, oy, ox), X~ the input
//     patch read on the fly (implicit im2col). k runs to batch x height x width, so it is split (split-K): every
//     workgroup sums one 32 x 32 tile of dW over one stretch of k, and a second pass adds the stretches;
//   - input gradient dX[m, n] = sum_k dY~[m, k] W[k, n], m = (b, y, x), n = ci, k = (r, s, co), dY~ the output
//     gradient at the position that tap (r, s) reaches from (y, x), zero where the stride skips it (implicit GEMM);
//   - training batch norm (the kernels ../models/batchNorm.ts runs on wasm): per-channel sums as a column reduction
//     over blocks of rows, then one elementwise pass.
// Each thread of a 8 x 8 workgroup accumulates a 4 x 4 block; the same training code runs on every backend.
// Every kernel is tested against the cpu backend (webgpuTraining.test.ts), on Mesa's software adapter where there is
// no GPU.
import { tf } from "../tf.js";
import { BATCH_NORM_BACKWARD, BATCH_NORM_FORWARD } from "./wasmTraining.js";

/** The part of tfjs-backend-webgpu's program interface these kernels use (see its webgpu_program.d.ts). */
interface Program {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  uniforms?: string;
  size?: boolean;
  getUserCode(): string;
}
type Uniform = { type: "int32" | "float32"; data: number[] };
interface WebGPUBackendLike {
  runWebGPUProgram(program: Program, inputs: tf.TensorInfo[], outputDtype: tf.DataType, uniforms?: Uniform[]): tf.TensorInfo;
  disposeData(dataId: tf.DataId): boolean;
  incRef(dataId: tf.DataId): void;
}

/**
 * A kernel input as a tensor for tf ops inside the kernel. makeTensorFromTensorInfo takes no reference of its own, so
 * one is added: disposing the tensor gives it back instead of freeing the caller's data.
 */
function borrow(backend: WebGPUBackendLike, info: tf.TensorInfo): tf.Tensor {
  backend.incRef(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info);
}

const T = 32; // tile edge (rows and columns of the output tile, and the k step)
const tileSetup = `
  const T = ${T};
  var<workgroup> tileA : array<f32, ${T * T}>;
  var<workgroup> tileB : array<f32, ${T * T}>;
`;
/** The 4 x 4 block product over one k step of the tiles (tileA[k * T + m], tileB[k * T + n]). */
const tileProduct = `
    for (var kk = 0; kk < T; kk = kk + 1) {
      let a = vec4<f32>(tileA[kk * T + ty * 4], tileA[kk * T + ty * 4 + 1], tileA[kk * T + ty * 4 + 2], tileA[kk * T + ty * 4 + 3]);
      let b = vec4<f32>(tileB[kk * T + tx * 4], tileB[kk * T + tx * 4 + 1], tileB[kk * T + tx * 4 + 2], tileB[kk * T + tx * 4 + 3]);
      acc0 = acc0 + a.x * b;
      acc1 = acc1 + a.y * b;
      acc2 = acc2 + a.z * b;
      acc3 = acc3 + a.w * b;
    }`;
/** Writes the 4 x 4 block at rows m0 + ty*4.., columns n0 + tx*4.. of an M x N matrix starting at `base`. */
const writeBlock = (base: string) => `
    var accs = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
    for (var i = 0; i < 4; i = i + 1) {
      let m = m0 + ty * 4 + i;
      if (m >= M) { break; }
      for (var j = 0; j < 4; j = j + 1) {
        let n = n0 + tx * 4 + j;
        if (n < N) { result[${base} + m * N + n] = accs[i][j]; }
      }
    }`;

/** Pass 1 of the filter gradient: partial sums [chunks, M, N] over stretches of kChunk products. */
class FilterGradSplitKProgram implements Program {
  variableNames = ["x", "dy"];
  uniforms = "pads : vec2<i32>, strides : vec2<i32>, filterDims : vec2<i32>, kChunk : i32,";
  workgroupSize: [number, number, number] = [8, 8, 1];
  dispatchLayout = { x: [2], y: [1], z: [0] };
  dispatch: [number, number, number];
  shaderKey = "fewlabelConv2DDerFilterSplitK";
  constructor(public outputShape: number[]) {
    const [chunks, m, n] = outputShape as [number, number, number];
    this.dispatch = [Math.ceil(n / T), Math.ceil(m / T), chunks];
  }
  getUserCode(): string {
    return `${tileSetup}
  fn xPatch(m : i32, k : i32) -> f32 {
    let cin = uniforms.xShape[3];
    let ci = m % cin;
    let rs = m / cin;
    let s = rs % uniforms.filterDims.y;
    let r = rs / uniforms.filterDims.y;
    let ow = uniforms.dyShape[2];
    let oh = uniforms.dyShape[1];
    let ox = k % ow;
    let t = k / ow;
    let oy = t % oh;
    let b = t / oh;
    let iy = oy * uniforms.strides.x + r - uniforms.pads.x;
    let ix = ox * uniforms.strides.y + s - uniforms.pads.y;
    if (iy < 0 || iy >= uniforms.xShape[1] || ix < 0 || ix >= uniforms.xShape[2]) { return 0.0; }
    return x[((b * uniforms.xShape[1] + iy) * uniforms.xShape[2] + ix) * cin + ci];
  }
  ${"fn main()"} {
    let tx = i32(localId.x);
    let ty = i32(localId.y);
    let lid = i32(localIndex);
    let n0 = i32(workgroupId.x) * T;
    let m0 = i32(workgroupId.y) * T;
    let chunk = i32(workgroupId.z);
    let M = uniforms.outShape[1];
    let N = uniforms.outShape[2];
    let K = uniforms.dyShape[0] * uniforms.dyShape[1] * uniforms.dyShape[2];
    let kStart = chunk * uniforms.kChunk;
    let kEnd = min(K, kStart + uniforms.kChunk);
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    // A count of steps from uniforms alone (kChunk is a multiple of T): the barriers below need uniform control flow,
    // and a bound from workgroupId would not count as uniform.
    for (var step = 0; step < uniforms.kChunk / T; step = step + 1) {
      let k0 = kStart + step * T;
      for (var i = 0; i < ${(T * T) / 64}; i = i + 1) {
        let e = lid + i * 64;
        let kk = e / T;
        let mn = e % T;
        let k = k0 + kk;
        var a = 0.0;
        var b = 0.0;
        if (k < kEnd) {
          if (m0 + mn < M) { a = xPatch(m0 + mn, k); }
          if (n0 + mn < N) { b = dy[k * N + n0 + mn]; }
        }
        tileA[e] = a;
        tileB[e] = b;
      }
      workgroupBarrier();${tileProduct}
      workgroupBarrier();
    }${writeBlock("chunk * M * N")}
  }`;
  }
}

/** Pass 2: the sum over the first axis of [chunks, size] partials, as the output's shape. */
class SumChunksProgram implements Program {
  variableNames = ["partial"];
  size = true;
  workgroupSize: [number, number, number] = [64, 1, 1];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  shaderKey = "fewlabelSumChunks";
  constructor(public outputShape: number[]) {
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    const size = outputShape.reduce((a, b) => a * b, 1);
    this.dispatch = [Math.ceil(size / 64), 1, 1];
  }
  getUserCode(): string {
    return `
  fn main(index : i32) {
    if (index < uniforms.size) {
      var s = 0.0;
      for (var c = 0; c < uniforms.partialShape[0]; c = c + 1) {
        s = s + partial[c * uniforms.size + index];
      }
      result[index] = s;
    }
  }`;
  }
}

/** The input gradient as an implicit matrix product: dX [B*H*W, Cin] = dY~ [B*H*W, R*S*Co] x W~ [R*S*Co, Cin]. */
class InputGradMMProgram implements Program {
  variableNames = ["dy", "w"];
  uniforms = "pads : vec2<i32>, strides : vec2<i32>, filterDims : vec2<i32>,";
  workgroupSize: [number, number, number] = [8, 8, 1];
  dispatchLayout = { x: [3], y: [0, 1, 2] };
  dispatch: [number, number, number];
  shaderKey = "fewlabelConv2DDerInputMM";
  constructor(public outputShape: number[]) {
    const [b, h, w, c] = outputShape as [number, number, number, number];
    const rows = Math.ceil((b * h * w) / T);
    // Rows beyond the dispatch limit of one dimension go to z.
    const limit = 65535;
    this.dispatch = [Math.ceil(c / T), Math.min(rows, limit), Math.ceil(rows / limit)];
  }
  getUserCode(): string {
    return `${tileSetup}
  fn dyTap(m : i32, k : i32) -> f32 {
    let co = uniforms.dyShape[3];
    let c = k % co;
    let rs = k / co;
    let s = rs % uniforms.filterDims.y;
    let r = rs / uniforms.filterDims.y;
    let w = uniforms.outShape[2];
    let h = uniforms.outShape[1];
    let xx = m % w;
    let t = m / w;
    let yy = t % h;
    let b = t / h;
    let py = yy + uniforms.pads.x - r;
    let px = xx + uniforms.pads.y - s;
    if (py < 0 || px < 0) { return 0.0; }
    let oy = py / uniforms.strides.x;
    let ox = px / uniforms.strides.y;
    if (oy * uniforms.strides.x != py || ox * uniforms.strides.y != px || oy >= uniforms.dyShape[1] || ox >= uniforms.dyShape[2]) { return 0.0; }
    return dy[((b * uniforms.dyShape[1] + oy) * uniforms.dyShape[2] + ox) * co + c];
  }
  ${"fn main()"} {
    let tx = i32(localId.x);
    let ty = i32(localId.y);
    let lid = i32(localIndex);
    let n0 = i32(workgroupId.x) * T;
    let m0 = (i32(workgroupId.z) * 65535 + i32(workgroupId.y)) * T;
    let M = uniforms.outShape[0] * uniforms.outShape[1] * uniforms.outShape[2];
    let N = uniforms.outShape[3];
    let co = uniforms.dyShape[3];
    let K = uniforms.filterDims.x * uniforms.filterDims.y * co;
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    for (var k0 = 0; k0 < K; k0 = k0 + T) {
      for (var i = 0; i < ${(T * T) / 64}; i = i + 1) {
        let e = lid + i * 64;
        // k fastest in both loads: consecutive output channels are neighbours in dy and in the filter.
        let kk = e % T;
        let mn = e / T;
        let k = k0 + kk;
        var a = 0.0;
        var b = 0.0;
        if (k < K) {
          if (m0 + mn < M) { a = dyTap(m0 + mn, k); }
          if (n0 + mn < N) { b = w[((k / co) * N + n0 + mn) * co + k % co]; }
        }
        tileA[kk * T + mn] = a;
        tileB[kk * T + mn] = b;
      }
      workgroupBarrier();${tileProduct}
      workgroupBarrier();
    }${writeBlock("0")}
  }`;
  }
}

/** Per-channel sums of x (and of x*x, or of dy and dy*x) over blocks of rows: partial [blocks, 2, C]. */
class ChannelSumsProgram implements Program {
  variableNames: string[];
  uniforms = "rowsPerBlock : i32,";
  workgroupSize: [number, number, number] = [64, 1, 1];
  dispatchLayout = { x: [2], y: [0] };
  dispatch: [number, number, number];
  shaderKey: string;
  /** `backward`: sums of dy and dy*x (inputs dy, x); else of x and x*x (input x). */
  constructor(
    public outputShape: number[],
    private backward: boolean,
  ) {
    this.variableNames = backward ? ["dy", "x"] : ["x"];
    this.shaderKey = `fewlabelChannelSums_${backward}`;
    const [blocks, , c] = outputShape as [number, number, number];
    this.dispatch = [Math.ceil(c / 64), blocks, 1];
  }
  getUserCode(): string {
    const [s1, s2] = this.backward ? ["dy[i]", "dy[i] * x[i]"] : ["x[i]", "x[i] * x[i]"];
    return `
  fn main() {
    let c = i32(globalId.x);
    let C = uniforms.outShape[2];
    if (c >= C) { return; }
    let rows = uniforms.xShape[0] * uniforms.xShape[1] * uniforms.xShape[2];
    let block = i32(workgroupId.y);
    let start = block * uniforms.rowsPerBlock;
    let end = min(rows, start + uniforms.rowsPerBlock);
    var a = 0.0;
    var b = 0.0;
    for (var row = start; row < end; row = row + 1) {
      let i = row * C + c;
      a = a + ${s1};
      b = b + ${s2};
    }
    result[(block * 2) * C + c] = a;
    result[(block * 2 + 1) * C + c] = b;
  }`;
  }
}

/** y = x * k1[c] + k2[c] (forward), or dx = dy * k1[c] + x * k2[c] + k3[c] (backward): coefficients [3, C]. */
class ChannelAffineProgram implements Program {
  variableNames: string[];
  size = true;
  workgroupSize: [number, number, number] = [64, 1, 1];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  shaderKey: string;
  constructor(
    public outputShape: number[],
    private backward: boolean,
  ) {
    this.variableNames = backward ? ["dy", "x", "k"] : ["x", "k"];
    this.shaderKey = `fewlabelChannelAffine_${backward}`;
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    const size = outputShape.reduce((a, b) => a * b, 1);
    this.dispatch = [Math.ceil(size / 64), 1, 1];
  }
  getUserCode(): string {
    const value = this.backward ? "dy[index] * k[c] + x[index] * k[C + c] + k[2 * C + c]" : "x[index] * k[c] + k[C + c]";
    return `
  fn main(index : i32) {
    if (index < uniforms.size) {
      let C = uniforms.kShape[1];
      let c = index % C;
      result[index] = ${value};
    }
  }`;
  }
}

function convInfo(xShape: readonly number[], filterShape: readonly number[], attrs: { strides: number | [number, number]; pad: unknown; dimRoundingMode?: "floor" | "round" | "ceil" }) {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad as "same",
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
}

/** How many stretches the filter gradient's k is split into: enough workgroups to fill a GPU, stretches of >= 256. */
export function splitKChunks(k: number, m: number, n: number, targetWorkgroups = 512): number {
  const tiles = Math.ceil(m / T) * Math.ceil(n / T);
  return Math.max(1, Math.min(Math.ceil(targetWorkgroups / tiles), Math.ceil(k / 256)));
}

function filterGradient(backend: WebGPUBackendLike, x: tf.TensorInfo, dy: tf.TensorInfo, attrs: tf.Conv2DBackpropFilterAttrs): tf.TensorInfo {
  const info = convInfo(x.shape, attrs.filterShape, attrs);
  const [r, s, ci, co] = attrs.filterShape;
  const m = r * s * ci, n = co, k = info.batchSize * info.outHeight * info.outWidth;
  const chunks = splitKChunks(k, m, n);
  const kChunk = Math.ceil(k / chunks / T) * T;
  const used = Math.ceil(k / kChunk);
  const uniforms: Uniform[] = [
    { type: "int32", data: [info.padInfo.top, info.padInfo.left] },
    { type: "int32", data: [info.strideHeight, info.strideWidth] },
    { type: "int32", data: [r, s] },
    { type: "int32", data: [kChunk] },
  ];
  const partial = backend.runWebGPUProgram(new FilterGradSplitKProgram([used, m, n]), [x, dy], "float32", uniforms);
  const out = backend.runWebGPUProgram(new SumChunksProgram([r, s, ci, co]), [partial], "float32");
  backend.disposeData(partial.dataId);
  return out;
}

function inputGradient(backend: WebGPUBackendLike, dy: tf.TensorInfo, filter: tf.TensorInfo, attrs: tf.Conv2DBackpropInputAttrs): tf.TensorInfo {
  const info = convInfo(attrs.inputShape, filter.shape, attrs);
  const uniforms: Uniform[] = [
    { type: "int32", data: [info.padInfo.top, info.padInfo.left] },
    { type: "int32", data: [info.strideHeight, info.strideWidth] },
    { type: "int32", data: [info.filterHeight, info.filterWidth] },
  ];
  return backend.runWebGPUProgram(new InputGradMMProgram([...attrs.inputShape]), [dy, filter], "float32", uniforms);
}

/** Rows per block of the channel sums: blocks enough to fill a GPU, each summing at least 64 rows. */
function rowsPerBlock(rows: number, channels: number): number {
  const blocks = Math.max(1, Math.min(Math.ceil(rows / 64), Math.ceil(4096 / Math.ceil(channels / 64))));
  return Math.ceil(rows / blocks);
}

/** [2, C]: the two per-channel sums over every row (the blocks' partial sums added). */
function channelSums(backend: WebGPUBackendLike, inputs: tf.TensorInfo[], backward: boolean): tf.TensorInfo {
  const x = inputs[inputs.length - 1]!;
  const c = x.shape[x.shape.length - 1]!;
  const rows = x.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const per = rowsPerBlock(rows, c);
  const blocks = Math.ceil(rows / per);
  // The program reads x as [rows, 1, 1, C] (its uniforms give xShape[0..2]).
  const as4d = inputs.map((t) => ({ ...t, shape: [rows, 1, 1, c] }));
  const partial = backend.runWebGPUProgram(new ChannelSumsProgram([blocks, 2, c], backward), as4d, "float32", [{ type: "int32", data: [per] }]);
  const out = backend.runWebGPUProgram(new SumChunksProgram([2, c]), [partial], "float32");
  backend.disposeData(partial.dataId);
  return out;
}

/** Training-mode batch norm: y, mean, variance (biased), rstd, as the wasm SIMD kernel of the same name. */
function batchNormForward(backend: WebGPUBackendLike, x: tf.TensorInfo, gamma: tf.TensorInfo, beta: tf.TensorInfo, epsilon: number): tf.TensorInfo[] {
  const c = x.shape[x.shape.length - 1]!;
  const n = x.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const sums = channelSums(backend, [x], false);
  // The per-channel coefficients are a few vectors of C: tf ops (the engine records none inside a kernel).
  return tf.tidy(() => {
    const s = tf.engine().makeTensorFromTensorInfo(sums) as tf.Tensor2D;
    const [sum, sumSq] = tf.unstack(s) as [tf.Tensor1D, tf.Tensor1D];
    const mean = tf.div(sum, n) as tf.Tensor1D;
    const variance = tf.relu(tf.sub(tf.div(sumSq, n), tf.square(mean))) as tf.Tensor1D;
    const rstd = tf.rsqrt(tf.add(variance, epsilon)) as tf.Tensor1D;
    const k1 = tf.mul(borrow(backend, gamma), rstd);
    const k2 = tf.sub(borrow(backend, beta), tf.mul(mean, k1));
    const y = backend.runWebGPUProgram(new ChannelAffineProgram([...x.shape], false), [x, tf.stack([k1, k2])], "float32");
    // A kernel may return tensors (the engine takes them as they are) beside backend outputs (TensorInfo).
    return [y, tf.keep(mean), tf.keep(variance), tf.keep(rstd)] as unknown as tf.Tensor[];
  }) as unknown as tf.TensorInfo[];
}

/** dx, dgamma, dbeta of training-mode batch norm, the closed form of ../models/batchNorm.ts. */
function batchNormBackward(backend: WebGPUBackendLike, dy: tf.TensorInfo, x: tf.TensorInfo, gamma: tf.TensorInfo, mean: tf.TensorInfo, rstd: tf.TensorInfo): tf.TensorInfo[] {
  const n = x.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const sums = channelSums(backend, [dy, x], true);
  return tf.tidy(() => {
    const s = tf.engine().makeTensorFromTensorInfo(sums) as tf.Tensor2D;
    const [dbeta, sumDyX] = tf.unstack(s) as [tf.Tensor1D, tf.Tensor1D];
    const mu = borrow(backend, mean) as tf.Tensor1D;
    const rs = borrow(backend, rstd) as tf.Tensor1D;
    const g = borrow(backend, gamma) as tf.Tensor1D;
    const dgamma = tf.mul(rs, tf.sub(sumDyX, tf.mul(mu, dbeta)));
    const k1 = tf.mul(g, rs);
    const k2 = tf.neg(tf.div(tf.mul(tf.mul(k1, rs), dgamma), n));
    const k3 = tf.sub(tf.neg(tf.div(tf.mul(k1, dbeta), n)), tf.mul(k2, mu));
    const dx = backend.runWebGPUProgram(new ChannelAffineProgram([...x.shape], true), [dy, x, tf.stack([k1, k2, k3])], "float32");
    return [dx, tf.keep(dgamma), tf.keep(dbeta)] as unknown as tf.Tensor[];
  }) as unknown as tf.TensorInfo[];
}

export type WebGPUKernelSet = "stock" | "fewlabel";
const KERNELS = ["Conv2DBackpropFilter", "Conv2DBackpropInput"] as const;
const stock = new Map<string, tf.KernelFunc>();
let current: WebGPUKernelSet | null = null;

/**
 * Chooses the webgpu training kernels: fewlabel's (the default once the backend is up) or tfjs's stock ones (for
 * the benchmark's comparison in one process). Batch norm's kernels exist only as fewlabel's: with "stock" the
 * composed batch norm runs (../models/batchNorm.ts picks by whether the kernel is registered).
 */
export function useWebGPUKernels(set: WebGPUKernelSet = "fewlabel"): void {
  if (current === set) return;
  for (const name of KERNELS) {
    const k = tf.getKernel(name, "webgpu");
    if (k && !stock.has(name) && current === null) stock.set(name, k.kernelFunc);
    if (k) tf.unregisterKernel(name, "webgpu");
  }
  for (const name of [BATCH_NORM_FORWARD, BATCH_NORM_BACKWARD]) if (tf.getKernel(name, "webgpu")) tf.unregisterKernel(name, "webgpu");
  const reg = (kernelName: string, kernelFunc: tf.KernelFunc) => tf.registerKernel({ kernelName, backendName: "webgpu", kernelFunc });
  current = set;
  if (set === "stock") {
    for (const [name, f] of stock) reg(name, f);
    return;
  }
  reg("Conv2DBackpropFilter", (({ inputs, attrs, backend }: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: unknown }) => {
    const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    if ((a.dataFormat && a.dataFormat !== "NHWC") || inputs.x!.dtype !== "float32") return stock.get("Conv2DBackpropFilter")!({ inputs, attrs, backend } as never);
    return filterGradient(backend as WebGPUBackendLike, inputs.x!, inputs.dy!, a);
  }) as unknown as tf.KernelFunc);
  reg("Conv2DBackpropInput", (({ inputs, attrs, backend }: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: unknown }) => {
    const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
    if ((a.dataFormat && a.dataFormat !== "NHWC") || inputs.dy!.dtype !== "float32") return stock.get("Conv2DBackpropInput")!({ inputs, attrs, backend } as never);
    return inputGradient(backend as WebGPUBackendLike, inputs.dy!, inputs.filter!, a);
  }) as unknown as tf.KernelFunc);
  reg(BATCH_NORM_FORWARD, (({ inputs, attrs, backend }: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: unknown }) =>
    batchNormForward(backend as WebGPUBackendLike, inputs.x!, inputs.gamma!, inputs.beta!, (attrs as { epsilon: number }).epsilon)) as unknown as tf.KernelFunc);
  reg(BATCH_NORM_BACKWARD, (({ inputs, backend }: { inputs: tf.NamedTensorInfoMap; backend: unknown }) =>
    batchNormBackward(backend as WebGPUBackendLike, inputs.dy!, inputs.x!, inputs.gamma!, inputs.mean!, inputs.rstd!)) as unknown as tf.KernelFunc);
}

/** Which webgpu kernel set is registered (null before the first `useWebGPUKernels`). */
export function webgpuKernelSet(): WebGPUKernelSet | null {
  return current;
}
