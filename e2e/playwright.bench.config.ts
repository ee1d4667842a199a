// Benchmarks in a real browser (`npm run bench:map`): the same built app and Chromium as the e2e tests, but measuring,
// not asserting; each prints its figures. Not part of `npm test`.
import base from "./playwright.config";

export default { ...base, testDir: "bench", timeout: 900_000 };
