// Bounded parallelism for the ingest pipeline: runs fn over a (possibly async, possibly huge) sequence with at most
// `limit` calls in flight, pulling input only as slots free up (so a 50,000-entry zip is never read ahead into
// memory), and yields results in input order.
//
// If fn throws, iteration stops pulling input, waits for the calls already running, and rethrows the first error.
// Callers that want to keep going past a bad item should catch inside fn and return a result value instead.

export async function* mapConcurrent<T, R>(items: Iterable<T> | AsyncIterable<T>, limit: number, fn: (item: T, index: number) => Promise<R> | R): AsyncGenerator<R, void, undefined> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const iterator: Iterator<T> | AsyncIterator<T> = Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : (items as Iterable<T>)[Symbol.iterator]();
  // Settled-state wrappers so a rejection waiting in the queue is never reported as unhandled.
  type Outcome = { ok: true; value: R } | { ok: false; error: unknown };
  const inFlight: Promise<Outcome>[] = [];
  let index = 0;
  let exhausted = false;

  const fill = async () => {
    while (!exhausted && inFlight.length < limit) {
      const next = await iterator.next();
      if (next.done) {
        exhausted = true;
        return;
      }
      const i = index++;
      inFlight.push(
        Promise.resolve()
          .then(() => fn(next.value, i))
          .then(
            (value): Outcome => ({ ok: true, value }),
            (error: unknown): Outcome => ({ ok: false, error }),
          ),
      );
    }
  };

  let completed = false;
  try {
    await fill();
    while (inFlight.length > 0) {
      const outcome = await inFlight.shift()!;
      if (!outcome.ok) throw outcome.error;
      await fill();
      yield outcome.value;
    }
    completed = true;
  } finally {
    if (!completed) {
      // Stopped early (error, or the consumer broke out): let running calls finish, release the source.
      await Promise.allSettled(inFlight);
      if (!exhausted) await iterator.return?.();
    }
  }
}

/** Collects mapConcurrent's results into an array. */
export async function mapConcurrentToArray<T, R>(items: Iterable<T> | AsyncIterable<T>, limit: number, fn: (item: T, index: number) => Promise<R> | R): Promise<R[]> {
  const results: R[] = [];
  for await (const result of mapConcurrent(items, limit, fn)) results.push(result);
  return results;
}
