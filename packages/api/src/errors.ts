// Errors the api raises for callers outside tRPC (plain HTTP routes); tRPC procedures throw TRPCError directly.
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}
