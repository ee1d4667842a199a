import { describe, expect, it } from "vitest";
import type { UploadItem } from "./collect-files";
import { chunkLimits } from "./plan-chunks";
import { runUpload, type UploadTally } from "./run-upload";
import { ChunkError, type DoneLine, type sendChunk } from "./send-chunk";

const item = (path: string, size = 10): UploadItem => ({ path, file: { size } as File });
const tick = () => new Promise((r) => setTimeout(r, 1));

describe("runUpload", () => {
  it("finishes label CSVs before any image request, keeps two requests in flight, and adds up the outcome", async () => {
    const log: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const send: typeof sendChunk = async (_id, items, cb) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      log.push(`start ${items[0]!.path}`);
      cb.onSent(5, 10);
      await tick();
      cb.onProgress({ type: "progress", processed: items.length, accepted: items.length, rejected: 0 });
      await tick();
      inFlight--;
      log.push(`end ${items[0]!.path}`);
      if (items[0]!.path === "img300.jpg") throw new ChunkError("The connection to the server was lost.", false);
      const done: DoneLine = { type: "done", accepted: items.length - 1, duplicates: 1, labelled: 2, rejected: [{ path: items[0]!.path, code: "x", message: "bad" }], warnings: [] };
      return done;
    };
    const images = Array.from({ length: chunkLimits.files * 3 }, (_, i) => item(`img${i}.jpg`));
    const tallies: UploadTally[] = [];
    let finished = "";
    const result = await runUpload({
      items: [...images, item("labels.csv")],
      start: async () => "u1",
      finish: async (id) => {
        finished = id;
      },
      onChange: (t) => tallies.push(t),
      send,
    });
    expect(log.slice(0, 2)).toEqual(["start labels.csv", "end labels.csv"]);
    expect(maxInFlight).toBe(2);
    expect(finished).toBe("u1");
    expect(result.phase).toBe("done");
    expect(result.chunksTotal).toBe(4);
    // three requests stored; the one starting at img300 failed and is reported, not counted
    expect(result.accepted).toBe((chunkLimits.files - 1) * 2);
    expect(result.duplicates).toBe(3);
    expect(result.rejected).toHaveLength(3);
    expect(result.failedBatches).toEqual([{ message: "The connection to the server was lost.", files: chunkLimits.files, firstPath: "img300.jpg" }]);
    expect(result.sentBytes).toBe(result.bytes);
    expect(tallies.some((t) => t.sentBytes > 0 && t.sentBytes < t.bytes)).toBe(true);
  });

  it("stops sending after a request that would fail again, and still closes the upload", async () => {
    let calls = 0;
    const send: typeof sendChunk = async () => {
      calls++;
      throw new ChunkError("Sign in first.", true);
    };
    let finished = false;
    const result = await runUpload({
      items: Array.from({ length: chunkLimits.files * 5 }, (_, i) => item(`${i}.jpg`)),
      start: async () => "u2",
      finish: async () => {
        finished = true;
      },
      onChange: () => {},
      send,
    });
    expect(calls).toBe(2);
    expect(finished).toBe(true);
    expect(result.failedBatches.map((b) => b.message)).toEqual(["Sign in first.", "Sign in first."]);
  });
});
