import { describe, expect, it } from "vitest";
import { readConfig } from "./config";
import { distilEpochs, MAX_STAGE_STEPS, MIN_STAGE_STEPS, maxPretrainRuns, stageSteps } from "./budget";

describe("stage budgets", () => {
  it("turns epochs into steps for the project's size, within bounds, unless steps are given", () => {
    expect(stageSteps({ epochs: 10, steps: null }, 3000, 64)).toBe(470); // 47 batches an epoch
    expect(stageSteps({ epochs: 10, steps: null }, 30_000, 64)).toBe(4690);
    expect(stageSteps({ epochs: 10, steps: null }, 40, 64)).toBe(MIN_STAGE_STEPS);
    expect(stageSteps({ epochs: 100, steps: null }, 1_000_000, 64)).toBe(MAX_STAGE_STEPS);
    expect(stageSteps({ epochs: 10, steps: 7 }, 3000, 64)).toBe(7);
  });

  it("allows idle pretraining runs up to the epoch budget", () => {
    expect(maxPretrainRuns({ pretrainEpochs: 20, pretrainExtendEpochs: 10, maxPretrainEpochs: 20 })).toBe(1);
    expect(maxPretrainRuns({ pretrainEpochs: 20, pretrainExtendEpochs: 10, maxPretrainEpochs: 100 })).toBe(9);
    expect(maxPretrainRuns({ pretrainEpochs: 20, pretrainExtendEpochs: 15, maxPretrainEpochs: 50 })).toBe(3);
  });

  it("gives a project's first student a shorter self-training than the later ones, never a longer one", () => {
    const cfg = readConfig({ FEWLABEL_URL: "http://localhost:3000", FEWLABEL_TRAINER_TOKEN: "flt_x" });
    expect([distilEpochs(cfg, false), distilEpochs(cfg, true)]).toEqual([5, 10]);
    expect(distilEpochs({ distilEpochs: 3, firstDistilEpochs: 5 }, false)).toBe(3);
  });
});
