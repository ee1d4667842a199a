// The model's input size for a project when FEWLABEL_INPUT_SIZE does not fix it: chosen once per encoder, at its
// first pretraining, from the images and the hardware. On a CPU, 32 px: two cores pretrain a 32 px encoder on a
// few thousand images in minutes (issue 12's budget), and each doubling of the side costs about 4x per step. On a
// GPU, the largest of 32, 64 and 96 px that the project's typical image (its median shorter side) fills without
// being enlarged, so photos are learned at a useful resolution and small images are not blown up.

export const CPU_INPUT_SIZE = 32;
const GPU_SIZES = [96, 64, 32] as const;

export interface InputSizeChoice {
  size: number;
  /** Said in the trainer's log and the version's provenance. */
  why: string;
}

export function chooseInputSize(o: { accelerator: "gpu" | "cpu"; images: ReadonlyArray<{ width: number; height: number }> }): InputSizeChoice {
  const sides = o.images
    .map((i) => Math.min(i.width, i.height))
    .filter((s) => s > 0)
    .sort((a, b) => a - b);
  const median = sides.length ? sides[Math.floor((sides.length - 1) / 2)]! : 0;
  if (o.accelerator === "cpu") return { size: CPU_INPUT_SIZE, why: `${CPU_INPUT_SIZE} px, the CPU default (median image ${median} px on its shorter side)` };
  const size = GPU_SIZES.find((s) => median >= s) ?? 32;
  return { size, why: `${size} px on a GPU, the largest of ${[...GPU_SIZES].reverse().join(", ")} px the images fill (median ${median} px on their shorter side)` };
}
