// Training kernels for the wasm backend. tfjs-backend-wasm 4.22 ships no Conv2DBackpropFilter and no
// UnsortedSegmentSum, and its Conv2DBackpropInput is a plain loop ~10x slower than the forward convolution.
// Each is re-expressed here with the one kernel XNNPACK makes fast, the forward Conv2D:
//   - filter gradient = a convolution of x (batch and channel axes swapped) with dy as the filter,
//     dilated by the stride;
//   - input gradient = a stride-1 convolution of dy with the rearranged filter, producing all stride*stride
//     output phases as channels at once, followed by DepthToSpace (sub-pixel convolution). For stride 1 this
//     is the classic "convolve with the flipped filter"; for stride 2 it avoids both the slow native kernel
//     and convolving a zero-dilated dy.
// Kernels built from other ops run with the tape off (the engine does not record ops nested in a kernel), so
// gradients stay correct; each is tested against the cpu backend in wasmTraining.test.ts.
import { tf } from "../tf.js";
import type { SimdKernels } from "./simdKernels.js";

type Pad = "valid" | "same" | number | tf.backend_util.ExplicitPadding;
interface ConvInfoLike {
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

function convInfo(
  xShape: readonly number[],
  filterShape: readonly number[],
  strides: number | [number, number],
  pad: Pad,
  dimRoundingMode?: "floor" | "round" | "ceil",
): ConvInfoLike {
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
    const t = Math.max(0, -top), l = Math.max(0, -left);
    y = tf.slice(y, [0, t, l, 0], [n, h - t - Math.max(0, -bottom), w - l - Math.max(0, -right), c]);
  }
  if (top > 0 || bottom > 0 || left > 0 || right > 0) {
    y = tf.pad(y, [[0, 0], [Math.max(0, top), Math.max(0, bottom)], [Math.max(0, left), Math.max(0, right)], [0, 0]]);
  }
  return y;
}

/** Stride-1 conv with per-side padding; negative amounts crop. Padding goes to XNNPACK (no copy). */
function convPadded(
  x: tf.Tensor4D,
  f: tf.Tensor4D,
  top: number,
  bottom: number,
  left: number,
  right: number,
  dilations: [number, number] = [1, 1],
): tf.Tensor4D {
  const crop = padOrCrop(x, Math.min(0, top), Math.min(0, bottom), Math.min(0, left), Math.min(0, right));
  const pads: tf.backend_util.ExplicitPadding = [[0, 0], [Math.max(0, top), Math.max(0, bottom)], [Math.max(0, left), Math.max(0, right)], [0, 0]];
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
      const xs =
        sh === 1 && sw === 1 && x.shape[1] === ho && x.shape[2] === wo
          ? x
          : tf.stridedSlice(x, [0, 0, 0, 0], [x.shape[0], (ho - 1) * sh + 1, (wo - 1) * sw + 1, ci], [1, sh, sw, 1]);
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
function subPixelFilter(
  w: Float32Array,
  [kh, kw, ci, co]: readonly number[],
  sh: number,
  sw: number,
  top: number,
  left: number,
) {
  const range = (k: number, s: number, p: number) => {
    let lo = Infinity, hi = -Infinity;
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
    const uh = Math.ceil(h / sh), uw = Math.ceil(w / sw);
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
const isWasmHeapBackend = (b: unknown): b is WasmHeapBackend =>
  typeof (b as WasmHeapBackend | undefined)?.typedArrayFromHeap === "function" && typeof (b as WasmHeapBackend).makeOutput === "function";

/** dL/dW with the hand-written SIMD kernel, on x and dy where they lie in the wasm backend's heap. */
function conv2dFilterGradientSimd(
  simd: SimdKernels,
  backend: WasmHeapBackend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  a: tf.Conv2DBackpropFilterAttrs,
): tf.TensorInfo {
  const info = convInfo(x.shape, a.filterShape, a.strides, a.pad as Pad, a.dimRoundingMode);
  const [n, h, w, ci] = x.shape as [number, number, number, number];
  const [kh, kw, , co] = a.filterShape;
  const out = backend.makeOutput([...a.filterShape], "float32");
  // Byte offsets stay valid when the heap grows (views do not).
  const at = (t: tf.TensorInfo) => backend.typedArrayFromHeap(t).byteOffset;
  simd.conv2dFilterGrad(at(x), at(dy), {
    n, h, w, ci, co, kh, kw,
    ho: info.outHeight, wo: info.outWidth,
    sh: info.strideHeight, sw: info.strideWidth,
    top: info.padInfo.top, left: info.padInfo.left,
  }, at(out));
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
