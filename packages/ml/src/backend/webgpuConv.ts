// Convolutions on webgpu as register blocks (issue 16): the forward convolution and its input gradient, where
// tfjs-backend-webgpu 4.22 runs tiled matrix products through workgroup memory and barriers. On Mesa's software
// adapter (llvmpipe runs a workgroup's invocations as SIMD lanes on one CPU thread and a barrier as a switch between
// them) barriers cost more than the loads they save; on a GPU, neighbouring invocations read the same input vectors
// and the same filter rows, which the caches serve. Every invocation here sums P output positions of one row x 4*CB
// channels in registers, reading vec4s along the channel axis (NHWC), with every layer's geometry compiled in as
// constants so that the tap and channel loops are plain counted loops.
//   forward:        y[b, oy, ox, co] = sum_{r, s, ci} x[b, oy*sh + r - pt, ox*sw + s - pl, ci] w[r, s, ci, co]
//   input gradient: dx[b, iy, ix, ci] = sum_{r, s, co} dy[b, oy, ox, co] w[r, s, ci, co] over the (oy, ox) with
//                   oy*sh + r - pt = iy and ox*sw + s - pl = ix. A block's positions are ix = q + sw*t for one
//                   residue q, so that a tap (r, s) either reaches all of them or none (no stride-2 waste).

import type { ConvInfoLike } from "./wasmTraining.js";
import { dispatchFor, INDEX, type Program, WORKGROUP } from "./webgpuProgram.js";

/** A convolution's geometry (NHWC, dilation 1), as the shaders take it. */
export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  filterH: number;
  filterW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
}

/**
 * How much an invocation sums, by the kind of adapter. The sums live in registers on a GPU, where 16 vec4s (64 floats,
 * an 8 x 8 tile as matrix-product kernels keep) leave room for enough threads. Mesa's software adapter runs 8
 * invocations as the lanes of one CPU register and reads storage a lane at a time: a vec4 read costs about as much as
 * 20 vec4 multiply-adds there (measured with a synthetic shader), so larger blocks, spilled sums and all, win. On Mesa,
 * 128 images of the reference model's layers: forward convolutions 292 ms with 4 positions x 1 vec4, 194 with 8 x 2,
 * 174 with 16 x 4; input gradients 431, 352, 185; filter gradients with 1 input-channel vec4 268 ms, with 4, 210.
 */
export interface ConvBlocking {
  /** Output positions along a row an invocation sums, at most. */
  positions: number;
  /** Vec4s of channels an invocation sums, at most (forward: output channels; input gradient: input channels). */
  channelVec4s: number;
  /** positions x channelVec4s, at most. */
  sums: number;
  /** Vec4s of input channels a filter-gradient invocation sums, at most (beside up to 4 vec4s of output channels). */
  filterInputVec4s: number;
}
export const GPU_BLOCKING: ConvBlocking = { positions: 8, channelVec4s: 4, sums: 16, filterInputVec4s: 1 };
export const SOFTWARE_BLOCKING: ConvBlocking = { positions: 16, channelVec4s: 4, sums: 64, filterInputVec4s: 4 };
let blocking = GPU_BLOCKING;

/** Sets the block sizes for the adapter in use (../backend/select.ts does, when the webgpu backend starts). */
export function setConvBlocking(b: ConvBlocking): void {
  blocking = b;
}

/** P positions along a row (fewer when the row is shorter) x CB vec4s of channels (a divisor of vec4s). */
export function blockShape(positions: number, vec4s: number, b: ConvBlocking = blocking): { P: number; CB: number } {
  const P = Math.max(1, Math.min(b.positions, positions));
  const CB = [8, 4, 2, 1].find((cb) => vec4s % cb === 0 && cb <= b.channelVec4s && P * cb <= b.sums) ?? 1;
  return { P, CB };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const key = (g: ConvGeometry) => [g.inH, g.inW, g.inC, g.outH, g.outW, g.outC, g.filterH, g.filterW, g.strideH, g.strideW, g.padTop, g.padLeft].join("_");

/**
 * Whether the register-block kernels take this convolution: output channels in fours (read and written as vec4s);
 * input channels in fours too, or fewer than four (an image's 1 or 3, read one by one).
 */
export function forwardFits(g: ConvGeometry): boolean {
  return g.outC % 4 === 0;
}
export function inputGradientFits(g: ConvGeometry): boolean {
  return g.outC % 4 === 0 && (g.inC % 4 === 0 || g.inC < 4);
}

/** y = conv(x, w) (+ bias) (then relu): x [B, H, W, Ci], w [R, S, Ci, Co] as vec4s of Co, y vec4s of Co. */
export class ConvForwardBlockProgram implements Program {
  variableNames: string[];
  variableComponents: number[];
  outputComponent = 4;
  outputShape: number[];
  shaderKey: string;
  // Not flat (x and y), so that tfjs calls main() without an index: the shaders index their own blocks.
  dispatchLayout = { x: [1, 2, 3], y: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  private readonly vecX: boolean;
  private readonly P: number;
  private readonly CB: number;
  constructor(
    private g: ConvGeometry,
    private bias: boolean,
    private relu: boolean,
  ) {
    this.vecX = g.inC % 4 === 0;
    ({ P: this.P, CB: this.CB } = blockShape(g.outW, g.outC / 4));
    this.variableNames = bias ? ["x", "w", "bias"] : ["x", "w"];
    this.variableComponents = bias ? [this.vecX ? 4 : 1, 4, 4] : [this.vecX ? 4 : 1, 4];
    this.outputShape = [g.batch, g.outH, g.outW, g.outC];
    this.shaderKey = `fewlabelConvForwardBlock_${key(g)}_${bias}_${relu}_${this.P}_${this.CB}`;
    this.dispatch = dispatchFor(g.batch * g.outH * Math.ceil(g.outW / this.P) * (g.outC / 4 / this.CB));
  }
  getUserCode(): string {
    const { g, P, CB } = this;
    const co4 = g.outC / 4,
      nxb = Math.ceil(g.outW / P),
      ncb = co4 / CB;
    const ps = range(P),
      cbs = range(CB);
    const acc = (p: number, c: number) => `acc${p}_${c}`;
    // x's reads: vec4s of 4 input channels, or single channels (the stem's 1 or 3).
    const ciSteps = this.vecX ? g.inC / 4 : g.inC;
    const inner = this.vecX
      ? `${ps.map((p) => `let x${p} = select(vec4<f32>(0.0), x[max(at${p}, 0) + c], ok${p});`).join("\n          ")}
          ${cbs
            .map((c) =>
              range(4)
                .map((j) => `let w${j}_${c} = w[wAt + (c * 4 + ${j}) * ${co4} + ${c}];`)
                .join("\n          "),
            )
            .join("\n          ")}
          ${ps.flatMap((p) => cbs.map((c) => `${acc(p, c)} = ${acc(p, c)} + x${p}.x * w0_${c} + x${p}.y * w1_${c} + x${p}.z * w2_${c} + x${p}.w * w3_${c};`)).join("\n          ")}`
      : `${ps.map((p) => `let x${p} = select(0.0, x[max(at${p}, 0) + c], ok${p});`).join("\n          ")}
          ${cbs.map((c) => `let w_${c} = w[wAt + c * ${co4} + ${c}];`).join("\n          ")}
          ${ps.flatMap((p) => cbs.map((c) => `${acc(p, c)} = ${acc(p, c)} + x${p} * w_${c};`)).join("\n          ")}`;
    const finish = (v: string, c: number) => {
      let out = this.bias ? `${v} + bias[cb * ${CB} + ${c}]` : v;
      if (this.relu) out = `max(${out}, vec4<f32>(0.0))`;
      return out;
    };
    return `
  fn main() {
    ${INDEX}
    let cb = idx % ${ncb};
    let rest = idx / ${ncb};
    let xb = rest % ${nxb};
    let row = rest / ${nxb};
    let oy = row % ${g.outH};
    let b = row / ${g.outH};
    if (b >= uniforms.xShape[0]) { return; }
    let ox0 = xb * ${P};
    ${ps.flatMap((p) => cbs.map((c) => `var ${acc(p, c)} = vec4<f32>(0.0);`)).join("\n    ")}
    for (var r = 0; r < ${g.filterH}; r = r + 1) {
      let iy = oy * ${g.strideH} + r - ${g.padTop};
      if (iy < 0 || iy >= ${g.inH}) { continue; }
      let rowAt = (b * ${g.inH} + iy) * ${g.inW};
      for (var s = 0; s < ${g.filterW}; s = s + 1) {
        ${ps
          .map(
            (p) => `let ix${p} = (ox0 + ${p}) * ${g.strideW} + s - ${g.padLeft};
        let ok${p} = ix${p} >= 0 && ix${p} < ${g.inW} && ox0 + ${p} < ${g.outW};
        let at${p} = select(-1, (rowAt + ix${p}) * ${ciSteps}, ok${p});`,
          )
          .join("\n        ")}
        let wAt = (r * ${g.filterW} + s) * ${g.inC} * ${co4} + cb * ${CB};
        for (var c = 0; c < ${ciSteps}; c = c + 1) {
          ${inner}
        }
      }
    }
    let outRow = (b * ${g.outH} + oy) * ${g.outW};
    ${ps
      .map(
        (p) => `if (ox0 + ${p} < ${g.outW}) {
      ${cbs.map((c) => `result[(outRow + ox0 + ${p}) * ${co4} + cb * ${CB} + ${c}] = ${finish(acc(p, c), c)};`).join("\n      ")}
    }`,
      )
      .join("\n    ")}
  }`;
  }
}

/** dx = the input gradient of conv(x, w) given dy: dy [B, OH, OW, Co] and w as vec4s of Co, dx vec4s of Ci. */
export class ConvInputGradBlockProgram implements Program {
  variableNames = ["dy", "w"];
  variableComponents = [4, 4];
  outputComponent = 4;
  outputShape: number[];
  shaderKey: string;
  // Not flat (x and y), so that tfjs calls main() without an index: the shaders index their own blocks.
  dispatchLayout = { x: [1, 2, 3], y: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  private readonly P: number;
  private readonly CB: number;
  /** Input channels fewer than four (an image's): each invocation sums all of them one by one, written as floats. */
  private readonly scalar: boolean;
  constructor(private g: ConvGeometry) {
    this.scalar = g.inC % 4 !== 0;
    if (this.scalar) this.outputComponent = 1;
    this.outputShape = [g.batch, g.inH, g.inW, g.inC];
    ({ P: this.P, CB: this.CB } = blockShape(Math.ceil(g.inW / g.strideW), this.scalar ? 1 : g.inC / 4));
    this.shaderKey = `fewlabelConvInputGradBlock_${key(g)}_${this.P}_${this.CB}`;
    const nt = Math.ceil(Math.ceil(g.inW / g.strideW) / this.P);
    this.dispatch = dispatchFor(g.batch * g.inH * g.strideW * nt * (this.scalar ? 1 : g.inC / 4 / this.CB));
  }
  getUserCode(): string {
    const { g, P, CB } = this;
    const co4 = g.outC / 4,
      ci4 = this.scalar ? 1 : g.inC / 4,
      ncb = ci4 / CB,
      nt = Math.ceil(Math.ceil(g.inW / g.strideW) / P);
    // Input channels a vec4 of the sums holds: 4, or the image's 1-3.
    const lanes = this.scalar ? g.inC : 4;
    const ps = range(P),
      cbs = range(CB);
    const acc = (p: number, c: number) => `acc${p}_${c}`;
    return `
  fn main() {
    ${INDEX}
    let cb = idx % ${ncb};
    var rest = idx / ${ncb};
    let tb = rest % ${nt};
    rest = rest / ${nt};
    let q = rest % ${g.strideW};
    rest = rest / ${g.strideW};
    let iy = rest % ${g.inH};
    let b = rest / ${g.inH};
    if (b >= uniforms.dyShape[0]) { return; }
    // This block's columns: ix = q + ${g.strideW} * (t0 + p).
    let t0 = tb * ${P};
    ${ps.flatMap((p) => cbs.map((c) => `var ${acc(p, c)} = vec4<f32>(0.0);`)).join("\n    ")}
    for (var r = 0; r < ${g.filterH}; r = r + 1) {
      let ny = iy + ${g.padTop} - r;
      if (ny < 0 || ny % ${g.strideH} != 0) { continue; }
      let oy = ny / ${g.strideH};
      if (oy >= ${g.outH}) { continue; }
      let rowAt = (b * ${g.outH} + oy) * ${g.outW};
      for (var s = 0; s < ${g.filterW}; s = s + 1) {
        let d = q + ${g.padLeft} - s;
        if (((d % ${g.strideW}) + ${g.strideW}) % ${g.strideW} != 0) { continue; }
        // d is a multiple of the stride, so the division is exact (negative too).
        let ox0 = d / ${g.strideW} + t0;
        ${ps
          .map(
            (p) => `let ok${p} = ox0 + ${p} >= 0 && ox0 + ${p} < ${g.outW} && q + ${g.strideW} * (t0 + ${p}) < ${g.inW};
        let at${p} = select(-1, (rowAt + ox0 + ${p}) * ${co4}, ok${p});`,
          )
          .join("\n        ")}
        let wAt = (r * ${g.filterW} + s) * ${g.inC} * ${co4};
        for (var c = 0; c < ${co4}; c = c + 1) {
          ${ps.map((p) => `let d${p} = select(vec4<f32>(0.0), dy[max(at${p}, 0) + c], ok${p});`).join("\n          ")}
          ${cbs
            .map((c) =>
              range(lanes)
                .map((j) => `let w${j}_${c} = w[wAt + ((cb * ${CB} + ${c}) * 4 + ${j}) * ${co4} + c];`)
                .join("\n          "),
            )
            .join("\n          ")}
          ${ps
            .flatMap((p) =>
              cbs.map(
                (c) =>
                  `${acc(p, c)} = ${acc(p, c)} + vec4<f32>(${range(4)
                    .map((j) => (j < lanes ? `dot(d${p}, w${j}_${c})` : "0.0"))
                    .join(", ")});`,
              ),
            )
            .join("\n          ")}
        }
      }
    }
    ${ps
      .map(
        (p) => `let ix${p} = q + ${g.strideW} * (t0 + ${p});
    if (ix${p} < ${g.inW}) {
      ${
        this.scalar
          ? range(lanes)
              .map((j) => `result[((b * ${g.inH} + iy) * ${g.inW} + ix${p}) * ${g.inC} + ${j}] = ${acc(p, 0)}[${j}];`)
              .join("\n      ")
          : cbs.map((c) => `result[((b * ${g.inH} + iy) * ${g.inW} + ix${p}) * ${ci4} + cb * ${CB} + ${c}] = ${acc(p, c)};`).join("\n      ")
      }
    }`,
      )
      .join("\n    ")}
  }`;
  }
}

/** The geometry of a convolution from tfjs's conv info. */
export function geometryOf(info: ConvInfoLike): ConvGeometry {
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    filterH: info.filterHeight,
    filterW: info.filterWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/**
 * Pass 1 of the filter gradient when input and output channels come in fours: every invocation sums a block of 4 input
 * channels x 4*nb output channels of one tap (r, s) over its stretch of k = (b, oy, ox), one vec4 of x and nb vec4s of
 * dy a step. Output: partial sums [chunks, R*S*Ci, Co] (vec4s of Co), added by a second pass.
 */
export class FilterGradVecProgram implements Program {
  variableNames = ["x", "dy"];
  variableComponents = [4, 4];
  outputComponent = 4;
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [1, 2], y: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  /** `nb` vec4s of output channels and `mb` vec4s of input channels an invocation. */
  constructor(
    private g: ConvGeometry,
    private chunks: number,
    private kChunk: number,
    private nb: number,
    private mb = 1,
  ) {
    this.outputShape = [chunks, g.filterH * g.filterW * g.inC, g.outC];
    this.shaderKey = `fewlabelFilterGradVec_${key(g)}_${kChunk}_${nb}_${mb}`;
    this.dispatch = dispatchFor(chunks * g.filterH * g.filterW * (g.inC / 4 / mb) * (g.outC / 4 / nb));
  }
  getUserCode(): string {
    const { g, nb, mb } = this;
    const ci4 = g.inC / 4,
      co4 = g.outC / 4,
      ncb = co4 / nb,
      nmb = ci4 / mb,
      taps = g.filterH * g.filterW;
    const js = range(4),
      cs = range(nb),
      ms = range(mb);
    const acc = (m: number, j: number, c: number) => `acc${m}_${j}_${c}`;
    return `
  fn main() {
    ${INDEX}
    let cb = idx % ${ncb};
    var rest = idx / ${ncb};
    let mBlock = rest % ${nmb};
    rest = rest / ${nmb};
    let tap = rest % ${taps};
    let chunk = rest / ${taps};
    if (chunk >= ${this.chunks}) { return; }
    let r = tap / ${g.filterW};
    let s = tap % ${g.filterW};
    let kStart = chunk * ${this.kChunk};
    // k's end from the uniforms (tfjs binds them whether or not a shader reads them, and a binding no shader reads
    // is missing from the pipeline's layout).
    let kEnd = min(uniforms.dyShape[0] * ${g.outH * g.outW}, kStart + ${this.kChunk});
    ${ms.flatMap((m) => js.flatMap((j) => cs.map((c) => `var ${acc(m, j, c)} = vec4<f32>(0.0);`))).join("\n    ")}
    var ox = kStart % ${g.outW};
    var oy = (kStart / ${g.outW}) % ${g.outH};
    var b = kStart / ${g.outW * g.outH};
    for (var kk = kStart; kk < kEnd; kk = kk + 1) {
      let iy = oy * ${g.strideH} + r - ${g.padTop};
      let ix = ox * ${g.strideW} + s - ${g.padLeft};
      let inside = iy >= 0 && iy < ${g.inH} && ix >= 0 && ix < ${g.inW};
      let xAt = max(((b * ${g.inH} + iy) * ${g.inW} + ix) * ${ci4} + mBlock * ${mb}, 0);
      ${ms.map((m) => `let xv${m} = select(vec4<f32>(0.0), x[xAt + ${m}], inside);`).join("\n      ")}
      ${cs.map((c) => `let d${c} = dy[kk * ${co4} + cb * ${nb} + ${c}];`).join("\n      ")}
      ${ms.flatMap((m) => js.flatMap((j) => cs.map((c) => `${acc(m, j, c)} = ${acc(m, j, c)} + xv${m}[${j}] * d${c};`))).join("\n      ")}
      ox = ox + 1;
      if (ox == ${g.outW}) {
        ox = 0;
        oy = oy + 1;
        if (oy == ${g.outH}) { oy = 0; b = b + 1; }
      }
    }
    // Row m = tap * Ci + (mBlock * mb + m) * 4 + j of dW, vec4 column cb * nb + c.
    let m0 = tap * ${g.inC} + mBlock * ${mb * 4};
    ${ms.flatMap((m) => js.flatMap((j) => cs.map((c) => `result[((chunk * ${taps * g.inC}) + m0 + ${m * 4 + j}) * ${co4} + cb * ${nb} + ${c}] = ${acc(m, j, c)};`))).join("\n    ")}
  }`;
  }
}

/**
 * Whether the vec4 filter gradient takes this convolution (0: no), and how many vec4s of output channels an invocation
 * sums: up to 4 (on Mesa, 128 images of the reference model's layers: 280 ms with 2, 250 with 4).
 */
export function filterGradientVecWidth(g: ConvGeometry): number {
  if (g.inC % 4 !== 0 || g.outC % 4 !== 0) return 0;
  return g.outC % 16 === 0 ? 4 : g.outC % 8 === 0 ? 2 : 1;
}

/** Vec4s of input channels a filter-gradient invocation sums: a divisor of the layer's, within the blocking's limit. */
export function filterGradientInputVec4s(g: ConvGeometry, b: ConvBlocking = blocking): number {
  return [4, 2, 1].find((mb) => (g.inC / 4) % mb === 0 && mb <= b.filterInputVec4s) ?? 1;
}
