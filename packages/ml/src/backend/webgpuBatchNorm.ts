// Training-mode batch norm on webgpu (issue 16), the closed form of ../models/batchNorm.ts in few dispatches:
//   forward:  per-channel sums of x and x*x over blocks of rows, the blocks added; mean, variance and rstd (one small
//             pass each, since a program writes one output); then y = x * k1 + k2 with k1 = gamma * rstd and
//             k2 = beta - mean * k1 worked out per element from the per-channel vectors.
//   backward: per-channel sums of dy and dy*x the same way; dgamma and dbeta; then dx = dy * k1 + x * k2 + k3 with
//             the coefficients worked out per element.
// Six dispatches forward and five backward, where working the coefficients out with tf ops took about seventeen each;
// channels in fours are read as vec4s, and the sums' invocations run over (channel, block of rows) with the channel
// fastest, so that a layer of 16 channels fills its SIMD lanes.
import { tf } from "../tf.js";
import { dispatchFor, INDEX, type Program, SumChunksProgram, type Uniform, type WebGPUBackendLike, WORKGROUP } from "./webgpuProgram.js";

/** f32 or vec4<f32>: how a program reads channels. */
const typeOf = (width: 1 | 4) => (width === 4 ? "vec4<f32>" : "f32");

/** Per-channel sums of x and x*x (or of dy and dy*x) over blocks of rows: partial [blocks, 2, C]. */
class ChannelSumsProgram implements Program {
  variableNames: string[];
  variableComponents: number[];
  outputComponent: number;
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [1, 2], y: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  constructor(
    private rows: number,
    private channels: number,
    private rowsPerBlock: number,
    private backward: boolean,
    private width: 1 | 4,
  ) {
    this.variableNames = backward ? ["dy", "x"] : ["x"];
    this.variableComponents = this.variableNames.map(() => width);
    this.outputComponent = width;
    const blocks = Math.ceil(rows / rowsPerBlock);
    this.outputShape = [blocks, 2, channels];
    this.shaderKey = `fewlabelChannelSums_${rows}_${channels}_${rowsPerBlock}_${backward}_${width}`;
    this.dispatch = dispatchFor((channels / width) * blocks);
  }
  getUserCode(): string {
    const cv = this.channels / this.width,
      T = typeOf(this.width);
    const [s1, s2] = this.backward ? ["dy[i]", "dy[i] * x[i]"] : ["x[i]", "x[i] * x[i]"];
    return `
  fn main() {
    ${INDEX}
    let c = idx % ${cv};
    let block = idx / ${cv};
    if (block >= uniforms.outShape[0]) { return; }
    let start = block * ${this.rowsPerBlock};
    let end = min(${this.rows}, start + ${this.rowsPerBlock});
    var a = ${T}(0.0);
    var b = ${T}(0.0);
    for (var row = start; row < end; row = row + 1) {
      let i = row * ${cv} + c;
      a = a + ${s1};
      b = b + ${s2};
    }
    result[(block * 2) * ${cv} + c] = a;
    result[(block * 2 + 1) * ${cv} + c] = b;
  }`;
  }
}

/** One vector of C from per-channel inputs: `expr` in terms of their names at [c] (sums: s0 = sums[c], s1 = sums[C + c]). */
class PerChannelProgram implements Program {
  size = true;
  uniforms = "n : f32, epsilon : f32,";
  workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  outputShape: number[];
  shaderKey: string;
  constructor(
    public variableNames: string[],
    private expr: string,
    channels: number,
  ) {
    this.outputShape = [channels];
    this.shaderKey = `fewlabelPerChannel_${variableNames.join("_")}_${expr}`;
    this.dispatch = [Math.ceil(channels / WORKGROUP), 1, 1];
  }
  getUserCode(): string {
    return `
  fn main(index : i32) {
    if (index < uniforms.size) {
      let c = index;
      let s0 = sums[c];
      let s1 = sums[uniforms.size + c];
      result[c] = ${this.expr};
    }
  }`;
  }
}

/** Elementwise over [rows, C] with per-channel vectors: y = x * k1 + k2 (forward) or dx = dy * k1 + x * k2 + k3 (backward). */
class ChannelAffineProgram implements Program {
  variableNames: string[];
  variableComponents: number[];
  outputComponent: number;
  uniforms = "n : f32,";
  size = true;
  workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  shaderKey: string;
  constructor(
    public outputShape: number[],
    private backward: boolean,
    private width: 1 | 4,
  ) {
    this.variableNames = backward ? ["dy", "x", "sums", "gamma", "mean", "rstd"] : ["x", "mean", "rstd", "gamma", "beta"];
    this.variableComponents = this.variableNames.map(() => width);
    this.outputComponent = width;
    this.shaderKey = `fewlabelChannelAffine_${backward}_${width}_${outputShape[outputShape.length - 1]}`;
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    this.dispatch = [Math.ceil(tf.util.sizeFromShape(outputShape) / width / WORKGROUP), 1, 1];
  }
  getUserCode(): string {
    const cv = this.outputShape[this.outputShape.length - 1]! / this.width;
    // The same arithmetic, in the same order, as the tf ops of ../models/batchNorm.ts's composed version.
    const body = this.backward
      ? `let mu = mean[c];
      let rs = rstd[c];
      let dbeta = sums[c];
      let dgamma = rs * (sums[${cv} + c] - mu * dbeta);
      let k1 = gamma[c] * rs;
      let k2 = -((k1 * rs * dgamma) / uniforms.n);
      let k3 = -((k1 * dbeta) / uniforms.n) - k2 * mu;
      result[index] = dy[index] * k1 + x[index] * k2 + k3;`
      : `let k1 = gamma[c] * rstd[c];
      let k2 = beta[c] - mean[c] * k1;
      result[index] = x[index] * k1 + k2;`;
    return `
  fn main(index : i32) {
    if (index < uniforms.size) {
      let c = index % ${cv};
      ${body}
    }
  }`;
  }
}

/** Rows per block of the channel sums: about 4,096 invocations (blocks x channel vectors), each at least 64 rows. */
function rowsPerBlock(rows: number, vectors: number): number {
  const blocks = Math.max(1, Math.min(Math.ceil(rows / 64), Math.ceil(4096 / vectors)));
  return Math.ceil(rows / blocks);
}

/** [2, C]: the two per-channel sums over every row (the blocks' partial sums added). */
function channelSums(backend: WebGPUBackendLike, inputs: tf.TensorInfo[], backward: boolean, width: 1 | 4): tf.TensorInfo {
  const x = inputs[inputs.length - 1]!;
  const c = x.shape[x.shape.length - 1]!;
  const rows = tf.util.sizeFromShape(x.shape) / c;
  const partial = backend.runWebGPUProgram(new ChannelSumsProgram(rows, c, rowsPerBlock(rows, c / width), backward, width), inputs, "float32");
  const out = backend.runWebGPUProgram(new SumChunksProgram([2, c]), [partial], "float32");
  backend.disposeData(partial.dataId);
  return out;
}

const widthOf = (channels: number): 1 | 4 => (channels % 4 === 0 ? 4 : 1);

/** Training-mode batch norm: y, mean, variance (biased), rstd, as the wasm SIMD kernel of the same name. */
export function batchNormForward(backend: WebGPUBackendLike, x: tf.TensorInfo, gamma: tf.TensorInfo, beta: tf.TensorInfo, epsilon: number): tf.TensorInfo[] {
  const c = x.shape[x.shape.length - 1]!;
  const width = widthOf(c);
  const uniforms: Uniform[] = [
    { type: "float32", data: [tf.util.sizeFromShape(x.shape) / c] },
    { type: "float32", data: [epsilon] },
  ];
  const sums = channelSums(backend, [x], false, width);
  const perChannel = (expr: string) => backend.runWebGPUProgram(new PerChannelProgram(["sums"], expr, c), [sums], "float32", uniforms);
  // As the composed version: mean = s0 / n, variance = relu(s1 / n - mean^2), rstd = rsqrt(variance + epsilon).
  const variance = "max(s1 / uniforms.n - (s0 / uniforms.n) * (s0 / uniforms.n), 0.0)";
  const mean = perChannel("s0 / uniforms.n");
  const vari = perChannel(variance);
  const rstd = perChannel(`inverseSqrt(${variance} + uniforms.epsilon)`);
  backend.disposeData(sums.dataId);
  const y = backend.runWebGPUProgram(new ChannelAffineProgram([...x.shape], false, width), [x, mean, rstd, gamma, beta], "float32", [uniforms[0]!]);
  return [y, mean, vari, rstd];
}

/** dx, dgamma, dbeta of training-mode batch norm, the closed form of ../models/batchNorm.ts. */
export function batchNormBackward(backend: WebGPUBackendLike, dy: tf.TensorInfo, x: tf.TensorInfo, gamma: tf.TensorInfo, mean: tf.TensorInfo, rstd: tf.TensorInfo): tf.TensorInfo[] {
  const c = x.shape[x.shape.length - 1]!;
  const width = widthOf(c);
  const uniforms: Uniform[] = [
    { type: "float32", data: [tf.util.sizeFromShape(x.shape) / c] },
    { type: "float32", data: [0] },
  ];
  const sums = channelSums(backend, [dy, x], true, width);
  const dgamma = backend.runWebGPUProgram(new PerChannelProgram(["sums", "mean", "rstd"], "rstd[c] * (s1 - mean[c] * s0)", c), [sums, mean, rstd], "float32", uniforms);
  const dbeta = backend.runWebGPUProgram(new PerChannelProgram(["sums"], "s0", c), [sums], "float32", uniforms);
  const dx = backend.runWebGPUProgram(new ChannelAffineProgram([...x.shape], true, width), [dy, x, sums, gamma, mean, rstd], "float32", [uniforms[0]!]);
  backend.disposeData(sums.dataId);
  return [dx, dgamma, dbeta];
}
