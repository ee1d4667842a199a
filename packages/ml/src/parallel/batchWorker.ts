// Worker side of BatchPrefetcher (./batchPrefetcher.ts): makes a stage's batch from the images it is sent, on its own
// single-threaded wasm backend, with the code the stage would run on the main thread.
import { parentPort } from "node:worker_threads";
import { selectBackend } from "../backend/select.js";
import { pixelImageSource } from "../preprocess/pixelSource.js";
import { augmentedBatchData } from "../stages/batches.js";
import { mulberry32 } from "../util/random.js";
import type { BatchReply, BatchRequest } from "./batchPrefetcher.js";

const port = parentPort!;
await selectBackend({ order: ["wasm"] });
const reply = (m: BatchReply, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

port.on("message", (m: BatchRequest) => {
  try {
    const source = pixelImageSource(m.images, m.options);
    const { data, shape } = augmentedBatchData(source, Int32Array.from(m.images.keys()), m.cfg, mulberry32(m.rState), m.views);
    const own = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice();
    reply({ type: "batch", id: m.id, data: own, shape }, [own.buffer as ArrayBuffer]);
  } catch (err) {
    reply({ type: "failed", id: m.id, message: err instanceof Error ? err.message : String(err) });
  }
});
reply({ type: "ready" });
