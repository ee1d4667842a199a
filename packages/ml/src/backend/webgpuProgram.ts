// What fewlabel's webgpu kernels share: tfjs-backend-webgpu's program and backend interfaces as they use them, the
// dispatch of a flat range of invocations, and the second pass of every split sum.
import { tf } from "../tf.js";

/** The part of tfjs-backend-webgpu's program interface these kernels use (see its webgpu_program.d.ts). */
export interface Program {
  variableNames: string[];
  variableComponents?: number[];
  outputComponent?: number;
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  uniforms?: string;
  size?: boolean;
  getUserCode(): string;
}

export type Uniform = { type: "int32" | "float32"; data: number[] };
export interface WebGPUBackendLike {
  runWebGPUProgram(program: Program, inputs: tf.TensorInfo[], outputDtype: tf.DataType, uniforms?: Uniform[]): tf.TensorInfo;
  disposeData(dataId: tf.DataId): boolean;
}

export const WORKGROUP = 64;

/** Invocations over x (then y, past 65,535 workgroups), for shaders that index their own blocks (INDEX). */
export function dispatchFor(invocations: number): [number, number, number] {
  const groups = Math.ceil(invocations / WORKGROUP);
  // A dispatch dimension holds at most 65,535 workgroups.
  return groups <= 65_535 ? [groups, 1, 1] : [65_535, Math.ceil(groups / 65_535), 1];
}

/** The flat invocation index of a shader dispatched by dispatchFor. */
export const INDEX = `let idx = i32(globalId.y * numWorkgroups.x * ${WORKGROUP}u + globalId.x);`;

/** Pass 2: the sum over the first axis of [chunks, size] partials, as the output's shape. */
export class SumChunksProgram implements Program {
  variableNames = ["partial"];
  size = true;
  workgroupSize: [number, number, number] = [64, 1, 1];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  shaderKey = "fewlabelSumChunks";
  constructor(public outputShape: number[]) {
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    const size = tf.util.sizeFromShape(outputShape);
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

/**
 * An elementwise program over inputs of the output's shape, indexed flat (vec4s where the size allows). tfjs's unary
 * programs read one float an invocation, and its binary ones work each element's coordinates out by integer division
 * and back, which Mesa's software adapter does lane by lane: a relu of 2M floats took 13.5 ms there, this 2.7 ms.
 */
export class ElementwiseProgram implements Program {
  variableComponents: number[];
  outputComponent: number;
  size = true;
  workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  shaderKey: string;
  /** `expr` reads the inputs by their names at [index]; in it `T(` is the element type's constructor (f32 or
   * vec4<f32>) and `ISNAN(` tfjs's NaN test for it (by bits: a compiler may fold x != x away). */
  constructor(
    public outputShape: number[],
    public variableNames: string[],
    private expr: string,
    public uniforms?: string,
  ) {
    const size = tf.util.sizeFromShape(outputShape);
    this.outputComponent = size % 4 === 0 ? 4 : 1;
    this.variableComponents = variableNames.map(() => this.outputComponent);
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    this.dispatch = [Math.max(1, Math.ceil(size / this.outputComponent / WORKGROUP)), 1, 1];
    this.shaderKey = `fewlabelElementwise_${this.outputComponent}_${variableNames.join("_")}_${expr}`;
  }
  getUserCode(): string {
    const T = this.outputComponent === 4 ? "vec4<f32>" : "f32";
    return `
  fn main(index : i32) {
    if (index < uniforms.size) {
      result[index] = ${this.expr.replaceAll("T(", `${T}(`).replaceAll("ISNAN(", T === "f32" ? "isnan(" : "isnanVec4(")};
    }
  }`;
  }
}
