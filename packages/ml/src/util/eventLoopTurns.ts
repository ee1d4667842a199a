// Long synchronous loops (comparing thousands of image pairs) starve everything else on their thread: in the trainer,
// the lease renewals and the keep-alive sockets to the server. A 45 s near-duplicate pass on a slow 2-core machine let
// the 30 s lease lapse and broke the next request ("fetch failed"). Loops await the function this returns between units
// of work; it hands the event loop a turn once `everyMs` of work has passed since the last one, and otherwise resolves
// at once (a microtask).

/** A function to await between units of work: a macrotask turn every `everyMs` milliseconds, otherwise nothing. */
export function eventLoopTurns(everyMs = 50): () => Promise<void> {
  let last = performance.now();
  return () => {
    const now = performance.now();
    if (now - last < everyMs) return Promise.resolve();
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        last = performance.now();
        resolve();
      }),
    );
  };
}
