import { describe, expect, it } from "vitest";
import { parseCli } from "./cli";

describe("experiment command line", () => {
  it("--workers puts the pretraining worker count into the recorded config", () => {
    expect(parseCli(["--budget", "tiny", "--workers", "2"]).config.pretrain.workers).toBe(2);
    expect(parseCli(["--budget", "tiny"]).config.pretrain.workers).toBeUndefined(); // one thread
  });
});
