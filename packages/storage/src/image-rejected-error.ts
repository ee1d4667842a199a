// Why an upload was refused, as a stable code the UI and api can switch on plus a sentence a person can read.

export type ImageRejectionCode = "empty" | "too_large_bytes" | "not_an_image" | "unsupported_format" | "too_many_pixels" | "corrupt";

export class ImageRejectedError extends Error {
  override readonly name = "ImageRejectedError";
  constructor(
    readonly code: ImageRejectionCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
