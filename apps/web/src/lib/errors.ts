// Turning tRPC (and other) errors into what a person reads: one message, plus per-field messages for zod errors.

interface TrpcLikeError {
  message?: string;
  data?: { code?: string; fieldErrors?: Record<string, string[] | undefined> | undefined } | null;
}

export function errorMessage(err: unknown, fallback = "Something went wrong. Try again."): string {
  if (!err) return fallback;
  const e = err as TrpcLikeError;
  // Zod failures arrive with a JSON dump as message; the field messages are what matters then.
  const fields = fieldErrors(err);
  const first = Object.values(fields)[0];
  if (first) return first;
  if (typeof e.message === "string" && e.message && !e.message.trim().startsWith("[")) {
    if (/Failed to fetch|NetworkError|Load failed/i.test(e.message)) return "Cannot reach the server. Check your connection.";
    return e.message;
  }
  return fallback;
}

/** First message per field (`classes.0.name` style keys are flattened by the server to the top-level field). */
export function fieldErrors(err: unknown): Record<string, string> {
  const raw = (err as TrpcLikeError | null)?.data?.fieldErrors;
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (const [k, v] of Object.entries(raw)) if (v?.[0]) out[k] = v[0];
  return out;
}

export function errorCode(err: unknown): string | undefined {
  return (err as TrpcLikeError | null)?.data?.code ?? undefined;
}
