// What a checkpoint's `extra` records about the model it holds, so a changed configuration starts afresh.
export interface ModelSpec {
  inputSize: number;
  channels: 1 | 3;
  widths: number[];
  blocks: number[];
  projectionDim: number;
  /** Whether horizontal flips keep the images' meaning (asked of the images at the first pretraining). */
  mirrorSafe?: boolean;
}

export const sameSpec = (a: unknown, b: ModelSpec) => JSON.stringify(a) === JSON.stringify(b);
