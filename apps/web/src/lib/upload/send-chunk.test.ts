import { describe, expect, it } from "vitest";
import { ndjsonReader } from "./send-chunk";

describe("ndjsonReader", () => {
  it("reads each complete line once as the response grows, and the unterminated tail only at the end", () => {
    const lines: unknown[] = [];
    const read = ndjsonReader((v) => lines.push(v));
    let text = '{"type":"progress","processed":50}\n{"type":"progr';
    read(text, false);
    expect(lines).toEqual([{ type: "progress", processed: 50 }]);
    text += 'ess","processed":100}\n{"type":"done","accepted":3}';
    read(text, false);
    expect(lines).toHaveLength(2);
    read(text, true);
    expect(lines.at(-1)).toEqual({ type: "done", accepted: 3 });
    read(text, true);
    expect(lines).toHaveLength(3);
  });
});
