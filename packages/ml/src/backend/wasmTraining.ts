// Training kernels for the wasm backend. tfjs-backend-wasm 4.22 ships no Conv2DBackpropFilter and no
// UnsortedSegmentSum, and its Conv2DBackpropInput is a plain loop ~10x slower than the forward convolution.
// Each is re-expressed here with the one kernel XNNPACK makes fast, the forward Conv2D:
//   - filter gradient = a convolution of x (batch and channel axes swapped) with dy as the filter,
//     dilated by the stride;
//   - input gradient = a stride-1 convolution of dy with the rearranged filter, producing all stride*stride
//     output phases as channels at once, followed by DepthToSpace (sub-pixel convolution). For stride 1 this
//     is the classic "convolve with the flipped filter"; for stride 2 it avoids both the slow native kernel
//     and convolving a zero-dilated dy.
// Where the hand-written SIMD kernels load (./simdKernels.ts, Node), they take over the filter gradient, the
// convolutions (so the input gradient's convolution too) and training batch norm; the compositions above stay
// as the fallback (no kernel build, or a browser).
// Kernels built from other ops run with the tape off (the engine does not record ops nested in a kernel), so
// gradients stay correct; each is tested against the cpu backend in wasmTraining.test.ts.
import { tf } from "../tf.js";
import type { SimdKernels } from "./simdKernels.js";

type Pad = "valid" | "same" | number | tf.backend_util.ExplicitPadding;
export interface ConvInfoLike {
  batchSize: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  strideHeight: number;
  strideWidth: number;
  filterHeight: number;
  filterWidth: number;
  padInfo: { top: number; bottom: number; left: number; right: number };
}

/** The convolution's geometry (NHWC, no dilation), as tfjs computes it; the webgpu kernels use it too. */
export function convInfo(xShape: readonly number[], filterShape: readonly number[], strides: number | [number, number], pad: Pad, dimRoundingMode?: "floor" | "round" | "ceil"): ConvInfoLike {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    "channelsLast",
  ) as unknown as ConvInfoLike;
}

/** Pads (positive amounts) or crops (negative amounts) the two spatial axes of an NHWC tensor. */
function padOrCrop(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  let y = x;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const t = Math.max(0, -top),
      l = Math.max(0, -left);
    y = tf.slice(y, [0, t, l, 0], [n, h - t - Math.max(0, -bottom), w - l - Math.max(0, -right), c]);
  }
  if (top > 0 || bottom > 0 || left > 0 || right > 0) {
    y = tf.pad(y, [
      [0, 0],
      [Math.max(0, top), Math.max(0, bottom)],
      [Math.max(0, left), Math.max(0, right)],
      [0, 0],
    ]);
  }
  return y;
}

/** Stride-1 conv with per-side padding; negative amounts crop. Padding goes to XNNPACK (no copy). */
function convPadded(x: tf.Tensor4D, f: tf.Tensor4D, top: number, bottom: number, left: number, right: number, dilations: [number, number] = [1, 1]): tf.Tensor4D {
  const crop = padOrCrop(x, Math.min(0, top), Math.min(0, bottom), Math.min(0, left), Math.min(0, right));
  const pads: tf.backend_util.ExplicitPadding = [
    [0, 0],
    [Math.max(0, top), Math.max(0, bottom)],
    [Math.max(0, left), Math.max(0, right)],
    [0, 0],
  ];
  return tf.conv2d(crop, f, 1, pads, "NHWC", dilations);
}

/** dL/dW of an NHWC conv2d as one forward convolution (XNNPACK). */
export function conv2dFilterGradient(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: number | [number, number],
  pad: Pad,
  dimRoundingMode?: "floor" | "round" | "ceil",
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = convInfo(x.shape, filterShape, strides, pad, dimRoundingMode);
    const [kh, kw, ci, co] = filterShape;
    const { strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo } = info;
    const { top, left } = info.padInfo;
    if (kh === 1 && kw === 1 && top === 0 && left === 0) {
      // 1x1: the gradient is a single matrix product (the strided positions picked out first).
      const xs = sh === 1 && sw === 1 && x.shape[1] === ho && x.shape[2] === wo ? x : tf.stridedSlice(x, [0, 0, 0, 0], [x.shape[0], (ho - 1) * sh + 1, (wo - 1) * sw + 1, ci], [1, sh, sw, 1]);
      const m = x.shape[0] * ho * wo;
      const dw = tf.matMul(tf.transpose(tf.reshape(xs, [m, ci])), tf.reshape(dy, [m, co]));
      return tf.reshape(dw, filterShape);
    }
    // x as a batch of `ci` single-"image" inputs with the examples as channels; dy as the filter.
    // [n, h, w, ci] -> [ci, h, w, n] as a 2-D transpose plus a permutation of whole n-runs: ~4x faster on
    // wasm than one 4-D transpose.
    const [n, h, w] = x.shape;
    const xt = tf.transpose(tf.reshape(tf.transpose(tf.reshape(x, [n, h * w * ci])), [h, w, ci, n]), [2, 0, 1, 3]) as tf.Tensor4D;
    const dyt = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [ho, wo, n, co]
    const bottom = (ho - 1) * sh + kh - h - top; // may be negative: crop instead
    const right = (wo - 1) * sw + kw - w - left;
    const r = convPadded(xt, dyt, top, bottom, left, right, [sh, sw]); // [ci, kh, kw, co]
    return tf.transpose(r, [1, 2, 0, 3]) as tf.Tensor4D;
  });
}

/**
 * Rearranges a forward filter [kh, kw, ci, co] into the filter of the sub-pixel input-gradient convolution:
 * [dh, dw, co, sh*sw*ci], one output channel block per output phase (as DepthToSpace expects).
 */
function subPixelFilter(w: Float32Array, [kh, kw, ci, co]: readonly number[], sh: number, sw: number, top: number, left: number) {
  const range = (k: number, s: number, p: number) => {
    let lo = Infinity,
      hi = -Infinity;
    for (let a = 0; a < s; a++) {
      lo = Math.min(lo, Math.ceil((0 - a - p) / s));
      hi = Math.max(hi, Math.floor((k - 1 - a - p) / s));
    }
    return { lo, hi, size: hi - lo + 1 };
  };
  const rh = range(kh!, sh, top);
  const rw = range(kw!, sw, left);
  const outC = sh * sw * ci!;
  const f = new Float32Array(rh.size * rw.size * co! * outC);
  for (let th = 0; th < rh.size; th++) {
    const dh = rh.hi - th;
    for (let tw = 0; tw < rw.size; tw++) {
      const dw = rw.hi - tw;
      for (let ah = 0; ah < sh; ah++) {
        const fh = sh * dh + ah + top;
        if (fh < 0 || fh >= kh!) continue;
        for (let aw = 0; aw < sw; aw++) {
          const fw = sw * dw + aw + left;
          if (fw < 0 || fw >= kw!) continue;
          const phase = (ah * sw + aw) * ci!;
          for (let i = 0; i < ci!; i++) {
            const src = ((fh * kw! + fw) * ci! + i) * co!;
            for (let o = 0; o < co!; o++) {
              f[((th * rw.size + tw) * co! + o) * outC + phase + i] = w[src + o]!;
            }
          }
        }
      }
    }
  }
  return { f, rh, rw, outC };
}

/** dL/dx of an NHWC conv2d as one stride-1 convolution plus DepthToSpace. */
export function conv2dInputGradient(
  xShape: [number, number, number, number],
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: number | [number, number],
  pad: Pad,
  dimRoundingMode?: "floor" | "round" | "ceil",
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = convInfo(xShape, filter.shape, strides, pad, dimRoundingMode);
    const { strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo } = info;
    const { top, left } = info.padInfo;
    const [n, h, w, ci] = xShape;
    const { f, rh, rw, outC } = subPixelFilter(filter.dataSync() as Float32Array, filter.shape, sh, sw, top, left);
    const uh = Math.ceil(h / sh),
      uw = Math.ceil(w / sw);
    // Rows of dy needed: u - d for u in [0, uh), d in [lo, hi]  ->  [-hi, uh - 1 - lo].
    const fT = tf.tensor4d(f, [rh.size, rw.size, filter.shape[3], outC]);
    let dx = convPadded(dy, fT, rh.hi, uh - 1 - rh.lo - (ho - 1), rw.hi, uw - 1 - rw.lo - (wo - 1)); // [n, uh, uw, sh*sw*ci]
    if (sh > 1 || sw > 1) {
      if (sh !== sw) throw new Error("conv2dInputGradient: unequal strides are not supported on wasm");
      // DepthToSpace as reshape + one transpose that moves whole (phase-column, channel) runs: the wasm
      // DepthToSpace kernel is several times slower.
      dx = tf.reshape(tf.transpose(tf.reshape(dx, [n * uh, uw, sh, sw * ci]), [0, 2, 1, 3]), [n, uh * sh, uw * sw, ci]);
    }
    if (uh * sh !== h || uw * sw !== w) dx = tf.slice(dx, [0, 0, 0, 0], [n, h, w, ci]);
    return dx;
  });
}

/** UnsortedSegmentSum as a one-hot matrix product (the gradient of gather). */
export function unsortedSegmentSum(data: tf.Tensor, segmentIds: tf.Tensor, numSegments: number): tf.Tensor {
  return tf.tidy(() => {
    const p = segmentIds.size;
    const rest = data.shape.slice(segmentIds.rank);
    const d = rest.reduce((a, b) => a * b, 1);
    const oneHot = tf.oneHot(tf.cast(tf.reshape(segmentIds, [p]), "int32"), numSegments); // [p, s], ids out of range -> 0 row
    const out = tf.matMul(tf.transpose(tf.cast(oneHot, "float32")), tf.reshape(tf.cast(data, "float32"), [p, d]));
    return tf.cast(tf.reshape(out, [numSegments, ...rest]), data.dtype);
  });
}

type AnyTensor = tf.Tensor;
type KernelArgs = { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown };

// The parts of tfjs-backend-wasm's BackendWasm the SIMD kernel path uses: views of tensors in the wasm heap.
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: "float32"): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}
const isWasmHeapBackend = (b: unknown): b is WasmHeapBackend => typeof (b as WasmHeapBackend | undefined)?.typedArrayFromHeap === "function" && typeof (b as WasmHeapBackend).makeOutput === "function";

/** dL/dW with the hand-written SIMD kernel, on x and dy where they lie in the wasm backend's heap. */
function conv2dFilterGradientSimd(simd: SimdKernels, backend: WasmHeapBackend, x: tf.TensorInfo, dy: tf.TensorInfo, a: tf.Conv2DBackpropFilterAttrs): tf.TensorInfo {
  const info = convInfo(x.shape, a.filterShape, a.strides, a.pad as Pad, a.dimRoundingMode);
  const [n, h, w, ci] = x.shape as [number, number, number, number];
  const [kh, kw, , co] = a.filterShape;
  const out = backend.makeOutput([...a.filterShape], "float32");
  // Byte offsets stay valid when the heap grows (views do not).
  const at = (t: tf.TensorInfo) => backend.typedArrayFromHeap(t).byteOffset;
  simd.conv2dFilterGrad(
    at(x),
    at(dy),
    {
      n,
      h,
      w,
      ci,
      co,
      kh,
      kw,
      ho: info.outHeight,
      wo: info.outWidth,
      sh: info.strideHeight,
      sw: info.strideWidth,
      top: info.padInfo.top,
      left: info.padInfo.left,
    },
    at(out),
  );
  return out;
}

// Kernel inputs are usually Tensors, but a kernel may be invoked with bare TensorInfos.
function asTensor<T extends AnyTensor>(info: tf.TensorInfo | undefined): T {
  if (!info) throw new Error("missing kernel input");
  if (info instanceof tf.Tensor) return info as T;
  return tf.engine().makeTensorFromTensorInfo(info) as T;
}

let registered = false;

/**
 * An NHWC convolution on the SIMD kernel, or null where it does not apply (dilations, a fused bias or
 * activation): the caller runs the stock kernel.
 */
function conv2dSimd(simd: SimdKernels, backend: WasmHeapBackend, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): tf.TensorInfo | null {
  const a = attrs as unknown as tf.Conv2DAttrs & { activation?: string };
  const x = inputs.x!,
    filter = inputs.filter!;
  if (inputs.bias || inputs.preluActivationWeights || (a.activation && a.activation !== "linear")) return null;
  if ((a.dataFormat && a.dataFormat !== "NHWC") || x.dtype !== "float32" || filter.dtype !== "float32") return null;
  const dil = a.dilations ?? 1;
  if (!(dil === 1 || (Array.isArray(dil) && dil[0] === 1 && dil[1] === 1))) return null;
  const [kh, kw, ci, co] = filter.shape as [number, number, number, number];
  const info = convInfo(x.shape, filter.shape, a.strides, a.pad as Pad, a.dimRoundingMode);
  const [n, h, w] = x.shape as [number, number, number, number];
  const out = backend.makeOutput([n, info.outHeight, info.outWidth, co], "float32");
  const at = (t: tf.TensorInfo) => backend.typedArrayFromHeap(t).byteOffset;
  simd.conv2d(at(out), at(x), at(filter), {
    n,
    h,
    w,
    ci,
    co,
    kh,
    kw,
    ho: info.outHeight,
    wo: info.outWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
  });
  return out;
}

/** Kernel names of the SIMD batch-norm passes (registered on wasm only; see ../models/batchNorm.ts). */
export const BATCH_NORM_FORWARD = "FewlabelBatchNormForward";
export const BATCH_NORM_BACKWARD = "FewlabelBatchNormBackward";

/** Training-mode batch norm over the last axis: outputs y, mean, variance (biased) and 1/sqrt(variance + eps). */
function batchNormForwardSimd(simd: SimdKernels, backend: WasmHeapBackend, x: tf.TensorInfo, gamma: tf.TensorInfo, beta: tf.TensorInfo, epsilon: number): tf.TensorInfo[] {
  const c = x.shape[x.shape.length - 1]!;
  const m = x.shape.reduce((a, b) => a * b, 1) / c;
  const y = backend.makeOutput([...x.shape], "float32");
  const stats = [0, 1, 2].map(() => backend.makeOutput([c], "float32"));
  const at = (t: tf.TensorInfo) => backend.typedArrayFromHeap(t).byteOffset;
  // Sums of x - x[0]: the first row is a shift close enough to the mean that E[d^2] - E[d]^2 does not cancel.
  const first = backend.typedArrayFromHeap(x).slice(0, c);
  const { sumA, sumAB } = simd.channelMoments(at(x), at(x), m, c, first, first);
  const g = backend.typedArrayFromHeap(gamma),
    b = backend.typedArrayFromHeap(beta);
  const scale = new Float32Array(c),
    shift = new Float32Array(c);
  const [mean, variance, rstd] = stats.map((t) => backend.typedArrayFromHeap(t)) as [Float32Array, Float32Array, Float32Array];
  for (let i = 0; i < c; i++) {
    const d = sumA[i]! / m,
      mu = first[i]! + d;
    const v = Math.max(0, sumAB[i]! / m - d * d); // clamped: rounding can make it slightly negative
    const r = 1 / Math.sqrt(v + epsilon);
    mean[i] = mu;
    variance[i] = v;
    rstd[i] = r;
    scale[i] = g[i]! * r;
    shift[i] = b[i]! - mu * g[i]! * r;
  }
  simd.channelAffine(at(y), at(x), 0, m, c, scale, null, shift);
  return [y, ...stats];
}

/** The gradient of batchNormForwardSimd: dx, dgamma, dbeta (closed form, see ../models/batchNorm.ts). */
function batchNormBackwardSimd(simd: SimdKernels, backend: WasmHeapBackend, dy: tf.TensorInfo, x: tf.TensorInfo, gamma: tf.TensorInfo, mean: tf.TensorInfo, rstd: tf.TensorInfo): tf.TensorInfo[] {
  const c = x.shape[x.shape.length - 1]!;
  const m = x.shape.reduce((a, b) => a * b, 1) / c;
  const dx = backend.makeOutput([...x.shape], "float32");
  const dgammaT = backend.makeOutput([c], "float32"),
    dbetaT = backend.makeOutput([c], "float32");
  const at = (t: tf.TensorInfo) => backend.typedArrayFromHeap(t).byteOffset;
  // sum(dy) and sum(dy * (x - mean)): centred, so dgamma does not cancel.
  const { sumA: sumDy, sumAB: sumDyXc } = simd.channelMoments(at(dy), at(x), m, c, new Float32Array(c), backend.typedArrayFromHeap(mean).slice());
  const g = backend.typedArrayFromHeap(gamma),
    mu = backend.typedArrayFromHeap(mean),
    rs = backend.typedArrayFromHeap(rstd);
  const dgamma = backend.typedArrayFromHeap(dgammaT),
    dbeta = backend.typedArrayFromHeap(dbetaT);
  const k1 = new Float32Array(c),
    k2 = new Float32Array(c),
    k3 = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    const db = sumDy[i]!,
      dg = rs[i]! * sumDyXc[i]!;
    dbeta[i] = db;
    dgamma[i] = dg;
    k1[i] = g[i]! * rs[i]!;
    k2[i] = -(k1[i]! * rs[i]! * dg) / m;
    k3[i] = -(k1[i]! * db) / m - k2[i]! * mu[i]!;
  }
  simd.channelAffine(at(dx), at(dy), at(x), m, c, k1, k2, k3);
  return [dx, dgammaT, dbetaT];
}

/**
 * Registers the kernels above for the wasm backend (idempotent: the first call decides). With `simd`, the
 * filter gradient runs on the hand-written SIMD kernel (./simdKernels.ts) instead of the composed one.
 */
export function registerWasmTrainingKernels(simd: SimdKernels | null = null): void {
  if (registered) return;
  registered = true;
  const reg = (kernelName: string, kernelFunc: (a: KernelArgs) => AnyTensor | tf.TensorInfo) => {
    if (tf.getKernel(kernelName, "wasm")) tf.unregisterKernel(kernelName, "wasm");
    tf.registerKernel({ kernelName, backendName: "wasm", kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  };
  reg("Conv2DBackpropFilter", ({ inputs, attrs, backend }) => {
    const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    if (a.dataFormat && a.dataFormat !== "NHWC") throw new Error("wasm Conv2DBackpropFilter: NHWC only");
    if (simd && isWasmHeapBackend(backend) && inputs.x?.dtype === "float32" && inputs.dy?.dtype === "float32") {
      return conv2dFilterGradientSimd(simd, backend, inputs.x, inputs.dy!, a);
    }
    return conv2dFilterGradient(asTensor(inputs.x), asTensor(inputs.dy), a.filterShape, a.strides, a.pad as Pad, a.dimRoundingMode);
  });
  // The engine clones every tensor it saves for the backward pass (Identity) and casts every gradient that
  // flows back through a clone (Cast to float32); the wasm kernels copy the data each time, ~30 copies of
  // a full activation per step. Tensors are immutable (variables swap their data on assign), so sharing the
  // data under a reference count is what the cpu backend does too.
  type RefCounting = { incRef(dataId: tf.DataId): void };
  const share = (x: tf.TensorInfo, backend: unknown): tf.TensorInfo => {
    (backend as RefCounting).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  reg("Identity", ({ inputs, backend }) => share(inputs.x!, backend));
  const stockCast = tf.getKernel("Cast", "wasm")?.kernelFunc;
  if (stockCast) {
    reg("Cast", (args) => {
      const x = args.inputs.x!;
      if (x.dtype === (args.attrs as unknown as tf.CastAttrs).dtype && x.dtype !== "string") return share(x, args.backend);
      return stockCast(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    });
  }
  if (simd) {
    // Convolutions (forward, and the input gradient's stride-1 convolutions above) on the SIMD kernel; dilated
    // ones and those with a fused bias or activation stay with XNNPACK.
    for (const name of ["Conv2D", "FusedConv2D"]) {
      const stock = tf.getKernel(name, "wasm")?.kernelFunc;
      if (!stock) continue;
      reg(name, (args) => {
        const out = isWasmHeapBackend(args.backend) ? conv2dSimd(simd, args.backend, args.inputs, args.attrs ?? {}) : null;
        return out ?? (stock(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo);
      });
    }
    reg(BATCH_NORM_FORWARD, ({ inputs, attrs, backend }) => {
      if (!isWasmHeapBackend(backend)) throw new Error(`${BATCH_NORM_FORWARD}: wasm backend only`);
      return batchNormForwardSimd(simd, backend, inputs.x!, inputs.gamma!, inputs.beta!, (attrs as { epsilon: number }).epsilon) as unknown as tf.TensorInfo;
    });
    reg(BATCH_NORM_BACKWARD, ({ inputs, backend }) => {
      if (!isWasmHeapBackend(backend)) throw new Error(`${BATCH_NORM_BACKWARD}: wasm backend only`);
      return batchNormBackwardSimd(simd, backend, inputs.dy!, inputs.x!, inputs.gamma!, inputs.mean!, inputs.rstd!) as unknown as tf.TensorInfo;
    });
  }
  reg("Conv2DBackpropInput", ({ inputs, attrs }) => {
    const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
    if (a.dataFormat && a.dataFormat !== "NHWC") throw new Error("wasm Conv2DBackpropInput: NHWC only");
    return conv2dInputGradient(a.inputShape, asTensor(inputs.dy), asTensor(inputs.filter), a.strides, a.pad as Pad, a.dimRoundingMode);
  });
  reg("UnsortedSegmentSum", ({ inputs, attrs }) => {
    const a = attrs as unknown as tf.UnsortedSegmentSumAttrs;
    return unsortedSegmentSum(asTensor(inputs.x), asTensor(inputs.segmentIds), a.numSegments);
  });
}
