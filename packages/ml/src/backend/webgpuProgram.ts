// What fewlabel's webgpu kernels share: tfjs-backend-webgpu's program and backend interfaces as they use them, the
// dispatch of a flat range of invocations, and the second pass of every split sum.
import type { tf } from "../tf.js";

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
  incRef(dataId: tf.DataId): void;
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
