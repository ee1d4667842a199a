// Training kernels for the webgpu backend (issue 16), registered over tfjs-backend-webgpu 4.22's where a profile of
// one SimCLR step (bench/webgpu-profile.ts) showed the time going:
//   - the filter gradient dW[m, n] = sum_k X~[m, k] dY[k, n] (m = (r, s, ci), n = co, k = (b, oy, ox), X~ the input
//     patch read on the fly) is split along k (split-K): every invocation sums a block of dW over one stretch of k
//     (4-16 input x 16 output channels as vec4s where channels come in fours, ./webgpuConv.ts; 4 x 4 scalars else),
//     and a second pass adds the stretches. tfjs's runs one invocation per weight over the whole of k;
//   - the forward convolution (Conv2D, and FusedConv2D, which tfjs-layers runs) and the input gradient are register
//     blocks (./webgpuConv.ts) where tfjs's tile through workgroup memory and barriers;
//   - training batch norm in six dispatches forward and five backward (./webgpuBatchNorm.ts);
//   - Adam's update of a variable in three dispatches instead of fourteen (../optim/adam.ts's FusedAdamOptimizer);
//   - Relu and Step flat over vec4s.
// No workgroup memory anywhere: on Mesa's software adapter, the one measured here, a filter gradient tiled through it
// was 2.2x slower and an implicit-GEMM input gradient 3x slower than the versions kept. Every kernel is tested against
// the cpu backend (webgpuTraining.test.ts), on Mesa's software adapter where there is no GPU.
import { tf } from "../tf.js";
import { ADAM_UPDATE, type AdamUpdateAttrs } from "../optim/adam.js";
import { BATCH_NORM_BACKWARD, BATCH_NORM_FORWARD, convInfo } from "./wasmTraining.js";
import {
  ConvForwardBlockProgram,
  ConvInputGradBlockProgram,
  FilterGradVecProgram,
  filterGradientInputVec4s,
  filterGradientVecWidth,
  forwardFits,
  geometryOf,
  inputGradientFits,
} from "./webgpuConv.js";
import { batchNormBackward, batchNormForward } from "./webgpuBatchNorm.js";
import { ElementwiseProgram, type Program, SumChunksProgram, type Uniform, type WebGPUBackendLike } from "./webgpuProgram.js";

/**
 * Pass 1 of the filter gradient without workgroup memory: every invocation sums a 4 x 4 block of dW (4 consecutive rows
 * m, 4 consecutive columns n) over its stretch of k, walking (b, oy, ox) by increments instead of dividing per product.
 * No barriers, and 16 multiply-adds per 8 loads; the split of k gives the parallelism.
 */
class FilterGradBlockProgram implements Program {
  variableNames = ["x", "dy"];
  uniforms = "pads : vec2<i32>, strides : vec2<i32>, filterDims : vec2<i32>, kChunk : i32,";
  workgroupSize: [number, number, number] = [64, 1, 1];
  dispatchLayout = { x: [1, 2], y: [0] };
  dispatch: [number, number, number];
  shaderKey = "fewlabelConv2DDerFilterBlock";
  constructor(public outputShape: number[]) {
    const [chunks, m, n] = outputShape as [number, number, number];
    this.dispatch = [Math.ceil((Math.ceil(m / 4) * Math.ceil(n / 4)) / 64), chunks, 1];
  }
  getUserCode(): string {
    return `
  fn main() {
    let M = uniforms.outShape[1];
    let N = uniforms.outShape[2];
    let nBlocks = (N + 3) / 4;
    let idx = i32(globalId.x);
    if (idx >= nBlocks * ((M + 3) / 4)) { return; }
    let n0 = (idx % nBlocks) * 4;
    let m0 = (idx / nBlocks) * 4;
    let chunk = i32(globalId.y);
    let H = uniforms.xShape[1];
    let W = uniforms.xShape[2];
    let cin = uniforms.xShape[3];
    let oh = uniforms.dyShape[1];
    let ow = uniforms.dyShape[2];
    let K = uniforms.dyShape[0] * oh * ow;
    let kStart = chunk * uniforms.kChunk;
    let kEnd = min(K, kStart + uniforms.kChunk);
    // The four rows' taps (r, s) and input channels; a row past M reads nothing.
    var tr : vec4<i32>;
    var ts : vec4<i32>;
    var tc : vec4<i32>;
    var live : vec4<bool>;
    for (var i = 0; i < 4; i = i + 1) {
      let m = m0 + i;
      live[i] = m < M;
      let mm = min(m, M - 1);
      tc[i] = mm % cin;
      let rs = mm / cin;
      ts[i] = rs % uniforms.filterDims.y - uniforms.pads.y;
      tr[i] = rs / uniforms.filterDims.y - uniforms.pads.x;
    }
    var nLive = vec4<bool>(n0 < N, n0 + 1 < N, n0 + 2 < N, n0 + 3 < N);
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    var ox = kStart % ow;
    var oy = (kStart / ow) % oh;
    var b = kStart / (ow * oh);
    for (var k = kStart; k < kEnd; k = k + 1) {
      let d = k * N + n0;
      let g = vec4<f32>(dy[d], select(0.0, dy[d + 1], nLive[1]), select(0.0, dy[d + 2], nLive[2]), select(0.0, dy[d + 3], nLive[3]));
      let iy = vec4<i32>(oy * uniforms.strides.x) + tr;
      let ix = vec4<i32>(ox * uniforms.strides.y) + ts;
      let inside = live & (iy >= vec4<i32>(0)) & (iy < vec4<i32>(H)) & (ix >= vec4<i32>(0)) & (ix < vec4<i32>(W));
      let at = ((vec4<i32>(b * H) + iy) * W + ix) * cin + tc;
      var a : vec4<f32>;
      for (var i = 0; i < 4; i = i + 1) {
        a[i] = 0.0;
        if (inside[i]) { a[i] = x[at[i]]; }
      }
      acc0 = acc0 + a.x * g;
      acc1 = acc1 + a.y * g;
      acc2 = acc2 + a.z * g;
      acc3 = acc3 + a.w * g;
      ox = ox + 1;
      if (ox == ow) {
        ox = 0;
        oy = oy + 1;
        if (oy == oh) { oy = 0; b = b + 1; }
      }
    }
    var accs = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
    for (var i = 0; i < 4; i = i + 1) {
      let m = m0 + i;
      if (m >= M) { break; }
      for (var j = 0; j < 4; j = j + 1) {
        if (n0 + j < N) { result[(chunk * M + m) * N + n0 + j] = accs[i][j]; }
      }
    }
  }`;
  }
}

/** One output of an Adam step (0: the weights, 1: the first moment, 2: the second), elementwise from x, m, v, g. */
class AdamUpdateProgram implements Program {
  variableNames: string[];
  // 1 - beta is computed in float64 as tfjs does (0.999 in f32 leaves 1 - beta2 off by 1.3e-5 relative).
  uniforms = "beta1 : f32, beta2 : f32, epsilon : f32, learningRate : f32, c1 : f32, c2 : f32, oneMinusBeta1 : f32, oneMinusBeta2 : f32,";
  size = true;
  workgroupSize: [number, number, number] = [64, 1, 1];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  shaderKey: string;
  constructor(
    public outputShape: number[],
    private which: 0 | 1 | 2,
  ) {
    this.shaderKey = `fewlabelAdamUpdate_${which}`;
    // Only what the output reads: a binding that no shader reads is missing from the pipeline's layout.
    this.variableNames = [
      ["x", "m", "v", "g"],
      ["m", "g"],
      ["v", "g"],
    ][which]!;
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    this.dispatch = [Math.ceil(tf.util.sizeFromShape(outputShape) / 64), 1, 1];
  }
  getUserCode(): string {
    // The order of tfjs's AdamOptimizer: x - lr * (m'/c1) / (sqrt(v'/c2) + eps).
    const m2 = "m[index] * uniforms.beta1 + gi * uniforms.oneMinusBeta1";
    const v2 = "v[index] * uniforms.beta2 + gi * gi * uniforms.oneMinusBeta2";
    const out = [`x[index] - uniforms.learningRate * ((${m2}) / uniforms.c1) / (sqrt((${v2}) / uniforms.c2) + uniforms.epsilon)`, m2, v2][this.which];
    return `
  fn main(index : i32) {
    if (index < uniforms.size) {
      let gi = g[index];
      result[index] = ${out};
    }
  }`;
  }
}

function adamUpdate(backend: WebGPUBackendLike, inputs: tf.TensorInfo[], a: AdamUpdateAttrs): tf.TensorInfo[] {
  const uniforms: Uniform[] = [a.beta1, a.beta2, a.epsilon, a.learningRate, a.c1, a.c2, 1 - a.beta1, 1 - a.beta2].map((v) => ({ type: "float32", data: [v] }));
  // A program writes one output: three elementwise passes, each recomputing the moments (cheaper than a dispatch).
  const [x, m, v, g] = inputs as [tf.TensorInfo, tf.TensorInfo, tf.TensorInfo, tf.TensorInfo];
  const reads = [
    [x, m, v, g],
    [m, g],
    [v, g],
  ];
  return ([0, 1, 2] as const).map((which) => backend.runWebGPUProgram(new AdamUpdateProgram([...x.shape], which), reads[which]!, "float32", uniforms));
}

/**
 * How many stretches the filter gradient's k is split into: about 65,536 invocations (each a 4 x 4 block of dW over
 * its stretch), enough to fill a large GPU, with stretches of at least 64 products.
 */
export function splitKChunks(k: number, m: number, n: number, targetInvocations = 65_536): number {
  const blocks = Math.ceil(m / 4) * Math.ceil(n / 4);
  return Math.max(1, Math.min(Math.ceil(targetInvocations / blocks), Math.ceil(k / 64)));
}

function filterGradient(backend: WebGPUBackendLike, x: tf.TensorInfo, dy: tf.TensorInfo, attrs: tf.Conv2DBackpropFilterAttrs): tf.TensorInfo {
  const info = convInfo(x.shape, attrs.filterShape, attrs.strides, attrs.pad as Parameters<typeof convInfo>[3], attrs.dimRoundingMode);
  const [r, s, ci, co] = attrs.filterShape;
  const m = r * s * ci,
    n = co,
    k = info.batchSize * info.outHeight * info.outWidth;
  const kChunk = Math.ceil(k / splitKChunks(k, m, n));
  const uniforms: Uniform[] = [
    { type: "int32", data: [info.padInfo.top, info.padInfo.left] },
    { type: "int32", data: [info.strideHeight, info.strideWidth] },
    { type: "int32", data: [r, s] },
    { type: "int32", data: [kChunk] },
  ];
  const g = geometryOf(info);
  const nb = filterGradientVecWidth(g);
  const partial = nb
    ? backend.runWebGPUProgram(new FilterGradVecProgram(g, Math.ceil(k / kChunk), kChunk, nb, filterGradientInputVec4s(g)), [x, dy], "float32")
    : backend.runWebGPUProgram(new FilterGradBlockProgram([Math.ceil(k / kChunk), m, n]), [x, dy], "float32", uniforms);
  const out = backend.runWebGPUProgram(new SumChunksProgram([r, s, ci, co]), [partial], "float32");
  backend.disposeData(partial.dataId);
  return out;
}

export type WebGPUKernelSet = "stock" | "fewlabel";
const KERNELS = ["Conv2DBackpropFilter", "Conv2DBackpropInput", "Conv2D", "FusedConv2D", "Relu", "Step"] as const;
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
  for (const name of [BATCH_NORM_FORWARD, BATCH_NORM_BACKWARD, ADAM_UPDATE]) if (tf.getKernel(name, "webgpu")) tf.unregisterKernel(name, "webgpu");
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
  // Forward convolutions (plain and fused: tfjs-layers' conv2d runs FusedConv2D) and the input gradient as register
  // blocks (./webgpuConv.ts) where their channel counts allow; tfjs's own otherwise.
  const forward = (name: "Conv2D" | "FusedConv2D") =>
    (({ inputs, attrs, backend }: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: unknown }) => {
      const a = attrs as unknown as tf.FusedConv2DAttrs;
      const { x, filter, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo | undefined>;
      const activation = a.activation ?? "linear";
      const dilations = typeof a.dilations === "number" ? [a.dilations, a.dilations] : (a.dilations ?? [1, 1]);
      const g = geometryOf(convInfo(x!.shape, filter!.shape, a.strides, a.pad as Parameters<typeof convInfo>[3], a.dimRoundingMode));
      const plain =
        (!a.dataFormat || a.dataFormat === "NHWC") &&
        dilations[0] === 1 &&
        dilations[1] === 1 &&
        x!.dtype === "float32" &&
        !preluActivationWeights &&
        (activation === "linear" || activation === "relu") &&
        (!bias || (bias.shape.length === 1 && bias.shape[0] === g.outC));
      if (!plain || !forwardFits(g)) return stock.get(name)!({ inputs, attrs, backend } as never);
      const ins = bias ? [x!, filter!, bias] : [x!, filter!];
      return (backend as WebGPUBackendLike).runWebGPUProgram(new ConvForwardBlockProgram(g, !!bias, activation === "relu"), ins, "float32");
    }) as unknown as tf.KernelFunc;
  reg("Conv2D", forward("Conv2D"));
  reg("FusedConv2D", forward("FusedConv2D"));
  reg("Conv2DBackpropInput", (({ inputs, attrs, backend }: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: unknown }) => {
    const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
    const { dy, filter } = inputs as Record<string, tf.TensorInfo>;
    const info = convInfo(a.inputShape, filter!.shape, a.strides, a.pad as Parameters<typeof convInfo>[3], a.dimRoundingMode);
    const g = geometryOf(info);
    if ((a.dataFormat && a.dataFormat !== "NHWC") || dy!.dtype !== "float32" || !inputGradientFits(g)) return stock.get("Conv2DBackpropInput")!({ inputs, attrs, backend } as never);
    return (backend as WebGPUBackendLike).runWebGPUProgram(new ConvInputGradBlockProgram(g), [dy!, filter!], "float32");
  }) as unknown as tf.KernelFunc);
  // Relu and its gradient's Step, flat over vec4s (ElementwiseProgram), with the cpu backend's results: NaN stays NaN
  // (Mesa's GLES compiles tfjs's own select(a, 0, a < 0) to 0 for NaN).
  const elementwise = (name: "Relu" | "Step", expr: string, uniforms?: (attrs: tf.NamedAttrMap) => Uniform[]) =>
    (({ inputs, attrs, backend }: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: unknown }) => {
      const x = inputs.x!;
      if (x.dtype !== "float32") return stock.get(name)!({ inputs, attrs, backend } as never);
      const program = new ElementwiseProgram([...x.shape], ["x"], expr, uniforms ? "alpha : f32," : undefined);
      return (backend as WebGPUBackendLike).runWebGPUProgram(program, [x], "float32", uniforms?.(attrs));
    }) as unknown as tf.KernelFunc;
  reg("Relu", elementwise("Relu", "select(x[index], T(0.0), (x[index] < T(0.0)) & !ISNAN(x[index]))"));
  reg(
    "Step",
    elementwise("Step", "select(select(T(uniforms.alpha), T(1.0), x[index] > T(0.0)), x[index], ISNAN(x[index]))", (a) => [{ type: "float32", data: [(a as { alpha?: number }).alpha ?? 0] }]),
  );
  reg(ADAM_UPDATE, (({ inputs, attrs, backend }: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: unknown }) =>
    adamUpdate(backend as WebGPUBackendLike, [inputs.x!, inputs.m!, inputs.v!, inputs.g!], attrs as unknown as AdamUpdateAttrs)) as unknown as tf.KernelFunc);
  reg(BATCH_NORM_FORWARD, (({ inputs, attrs, backend }: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: unknown }) =>
    batchNormForward(backend as WebGPUBackendLike, inputs.x!, inputs.gamma!, inputs.beta!, (attrs as { epsilon: number }).epsilon)) as unknown as tf.KernelFunc);
  reg(BATCH_NORM_BACKWARD, (({ inputs, backend }: { inputs: tf.NamedTensorInfoMap; backend: unknown }) =>
    batchNormBackward(backend as WebGPUBackendLike, inputs.dy!, inputs.x!, inputs.gamma!, inputs.mean!, inputs.rstd!)) as unknown as tf.KernelFunc);
}

/** Which webgpu kernel set is registered (null before the first `useWebGPUKernels`). */
export function webgpuKernelSet(): WebGPUKernelSet | null {
  return current;
}
