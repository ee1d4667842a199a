import { afterEach, describe, expect, it } from "vitest";
import { tf } from "../tf.js";
import { selectBackend } from "./select.js";

const saved = process.env.FEWLABEL_TF_BACKEND;
afterEach(() => {
  if (saved === undefined) delete process.env.FEWLABEL_TF_BACKEND;
  else process.env.FEWLABEL_TF_BACKEND = saved;
});

describe("selectBackend", () => {
  it("falls back past unavailable backends and says why", async () => {
    // tfjs-node is not installed on these machines; wasm must be picked after it.
    const r = await selectBackend({ order: ["tensorflow", "wasm", "cpu"] });
    expect(r.name).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
    expect(r.detail).toMatch(/XNNPACK/);
    expect(r.skipped[0]).toMatchObject({ name: "tensorflow" });
    expect(r.skipped[0]!.reason).toMatch(/tfjs-node/);
  });

  it("honours FEWLABEL_TF_BACKEND and rejects unknown names", async () => {
    process.env.FEWLABEL_TF_BACKEND = "cpu";
    expect((await selectBackend()).name).toBe("cpu");
    expect(tf.getBackend()).toBe("cpu");
    process.env.FEWLABEL_TF_BACKEND = "tpu";
    await expect(selectBackend()).rejects.toThrow(/unknown backend "tpu"/);
  });

  it("registers the wasm training kernels", async () => {
    await selectBackend({ order: ["wasm"] });
    expect(tf.getKernel("Conv2DBackpropFilter", "wasm")).toBeDefined();
    expect(tf.getKernel("UnsortedSegmentSum", "wasm")).toBeDefined();
  });
});
