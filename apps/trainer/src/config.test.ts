// Settings no model could be built from are refused when the trainer starts, with the variable's name, rather than
// after a project's images have been downloaded.
import { describe, expect, it } from "vitest";
import { readConfig } from "./config";

const base = { FEWLABEL_URL: "http://localhost:3000", FEWLABEL_TRAINER_TOKEN: "flt_x" };

describe("readConfig", () => {
  it("takes the defaults and valid overrides", () => {
    // Unset: chosen per project from its images and the backend (input-size.ts).
    expect(readConfig(base).inputSize).toBeNull();
    const c = readConfig({ ...base, FEWLABEL_INPUT_SIZE: "64", FEWLABEL_ENCODER_WIDTHS: "32,64", FEWLABEL_ENCODER_BLOCKS: "2,2" });
    expect([c.inputSize, c.encoderWidths, c.encoderBlocks]).toEqual([64, [32, 64], [2, 2]]);
  });

  it("refuses an input size or encoder shape the encoder does not take, naming the setting", () => {
    expect(readConfig({ ...base, FEWLABEL_INPUT_SIZE: "224" }).inputSize).toBe(224);
    expect(() => readConfig({ ...base, FEWLABEL_INPUT_SIZE: "256" })).toThrow(/FEWLABEL_INPUT_SIZE.*256.*from 28 to 224/);
    expect(() => readConfig({ ...base, FEWLABEL_INPUT_SIZE: "31.5" })).toThrow(/FEWLABEL_INPUT_SIZE must be a whole number/);
    expect(() => readConfig({ ...base, FEWLABEL_ENCODER_WIDTHS: "16,32", FEWLABEL_ENCODER_BLOCKS: "1" })).toThrow(/FEWLABEL_ENCODER_BLOCKS.*same/);
  });

  it("refuses other settings that would fail later", () => {
    expect(() => readConfig({ ...base, FEWLABEL_BATCH_SIZE: "1" })).toThrow(/FEWLABEL_BATCH_SIZE/);
    expect(() => readConfig({ ...base, FEWLABEL_LEARNING_RATE: "0" })).toThrow(/FEWLABEL_LEARNING_RATE/);
    expect(() => readConfig({ ...base, FEWLABEL_SELF_TRAINING_THRESHOLD: "95" })).toThrow(/probability/);
    expect(() => readConfig({ ...base, FEWLABEL_DOWNLOAD_CONCURRENCY: "0" })).toThrow(/FEWLABEL_DOWNLOAD_CONCURRENCY/);
    expect(() => readConfig({ ...base, FEWLABEL_INPUT_SIZE: "-3" })).toThrow(/non-negative/);
  });
});
