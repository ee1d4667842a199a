import { describe, expect, it } from "vitest";
import { parseCli } from "./cli";

describe("experiment command line", () => {
  it("--workers puts the worker count of the data-parallel stages into the recorded config", () => {
    const { config } = parseCli(["--budget", "tiny", "--workers", "2"]);
    expect([config.pretrain.workers, config.supervised.workers, config.fineTune.workers, config.distil.workers]).toEqual([2, 2, 2, 2]);
    expect(parseCli(["--budget", "tiny"]).config.pretrain.workers).toBeUndefined(); // one thread
  });
});
