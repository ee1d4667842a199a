import { describe, expect, it } from "vitest";
import { readConfig } from "./config";
import { GPU_SIZING, sizeForHardware } from "./model-sizing";

const base = { FEWLABEL_URL: "http://localhost:1", FEWLABEL_TRAINER_TOKEN: "flt_x" };

describe("the trainer's sizing by hardware", () => {
  it("keeps the CPU sizing on a CPU", () => {
    const cfg = readConfig(base);
    const s = sizeForHardware(cfg, "cpu", base);
    expect(s.config).toBe(cfg);
    expect(s.summary).toBe("CPU sizing: ResNet (1-1-1-1 blocks), widths 16-128, batch 64, input 32 px");
  });

  it("takes ResNet-18 at batch 256 on a GPU", () => {
    const s = sizeForHardware(readConfig(base), "gpu", base);
    expect(s.config).toMatchObject({ encoderWidths: [...GPU_SIZING.encoderWidths], encoderBlocks: [2, 2, 2, 2], batchSize: 256 });
    expect(s.summary).toBe("GPU sizing: ResNet-18, widths 32-256, batch 256, input 32-96 px by the images");
  });

  it("leaves what the environment sets as set", () => {
    const env = { ...base, FEWLABEL_BATCH_SIZE: "128", FEWLABEL_ENCODER_WIDTHS: "8,16", FEWLABEL_ENCODER_BLOCKS: "1,1", FEWLABEL_INPUT_SIZE: "64" };
    const s = sizeForHardware(readConfig(env), "gpu", env);
    expect(s.config).toMatchObject({ encoderWidths: [8, 16], encoderBlocks: [1, 1], batchSize: 128, inputSize: 64 });
    expect(s.summary).toBe("GPU sizing: ResNet (1-1 blocks), widths 8-16, batch 128, input 64 px");
  });
});
