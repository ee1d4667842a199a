// The encoder and batch a trainer uses, from its hardware (issue 16, item 3). On a CPU, today's sizing: a ResNet of one
// block a stage (widths 16-128) at batch 64, which two cores pretrain on a few thousand images in minutes (issue 12).
// On a GPU that sizing leaves the device idle between tiny kernels, so a GPU trainer takes ResNet-18 (two blocks a
// stage) at twice the widths and batch 256, as SimCLR trains (its batches are larger still); the input size follows
// the images (input-size.ts: 64-96 px for photos). Whatever FEWLABEL_ENCODER_WIDTHS, FEWLABEL_ENCODER_BLOCKS or
// FEWLABEL_BATCH_SIZE set stays as set.
import type { TrainerConfig } from "./config";

export const GPU_SIZING = { encoderWidths: [32, 64, 128, 256], encoderBlocks: [2, 2, 2, 2], batchSize: 256 } as const;

export interface HardwareSizing {
  config: TrainerConfig;
  /** One line for the log and the Training page ("GPU sizing: ResNet-18, widths 32-256, batch 256, …"). */
  summary: string;
}

export function sizeForHardware(cfg: TrainerConfig, accelerator: "gpu" | "cpu", env: NodeJS.ProcessEnv = process.env): HardwareSizing {
  const config =
    accelerator === "gpu"
      ? {
          ...cfg,
          encoderWidths: env.FEWLABEL_ENCODER_WIDTHS ? cfg.encoderWidths : [...GPU_SIZING.encoderWidths],
          encoderBlocks: env.FEWLABEL_ENCODER_BLOCKS ? cfg.encoderBlocks : [...GPU_SIZING.encoderBlocks],
          batchSize: env.FEWLABEL_BATCH_SIZE ? cfg.batchSize : GPU_SIZING.batchSize,
        }
      : cfg;
  const blocks = config.encoderBlocks.join("-");
  const name = blocks === "2-2-2-2" ? "ResNet-18" : `ResNet (${blocks} blocks)`;
  const widths = `${config.encoderWidths[0]}-${config.encoderWidths[config.encoderWidths.length - 1]}`;
  const input = config.inputSize !== null ? `${config.inputSize} px` : accelerator === "gpu" ? "32-96 px by the images" : "32 px";
  return { config, summary: `${accelerator === "gpu" ? "GPU" : "CPU"} sizing: ${name}, widths ${widths}, batch ${config.batchSize}, input ${input}` };
}
