import { describe, expect, it } from "vitest";
import { mapConcurrent, mapConcurrentToArray } from "./index";

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("mapConcurrent", () => {
  it("keeps input order with at most `limit` calls running", async () => {
    let running = 0;
    let peak = 0;
    const results = await mapConcurrentToArray([30, 5, 20, 1, 10, 0, 15], 3, async (ms, i) => {
      running++;
      peak = Math.max(peak, running);
      await delay(ms);
      running--;
      return i * 10;
    });
    expect(results).toEqual([0, 10, 20, 30, 40, 50, 60]);
    expect(peak).toBe(3);
  });

  it("pulls from an async source only as slots free up", async () => {
    let pulled = 0;
    async function* source() {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield i;
      }
    }
    const iterator = mapConcurrent(source(), 4, async (n) => n * 2);
    expect((await iterator.next()).value).toBe(0);
    expect(pulled).toBeLessThanOrEqual(6);
    await iterator.return();
  });

  it("rethrows the first failure and stops pulling", async () => {
    let pulled = 0;
    function* source() {
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield i;
      }
    }
    await expect(
      mapConcurrentToArray(source(), 2, async (n) => {
        if (n === 3) throw new Error("boom at 3");
        return n;
      }),
    ).rejects.toThrow("boom at 3");
    expect(pulled).toBeLessThan(10);
  });

  it("rejects a bad limit", async () => {
    await expect(mapConcurrentToArray([1], 0, (n) => n)).rejects.toThrow(RangeError);
  });
});
