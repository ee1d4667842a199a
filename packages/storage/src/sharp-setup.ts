// The one place that configures sharp (libvips) for ingest and asks it which formats this build can read.
//
// - cache(false): libvips' operation cache only helps when the same file is processed repeatedly; ingest sees each
//   image once, so the cache would just hold memory.
// - concurrency(1): threads *inside* one image operation. Ingest runs several images at once through libuv's thread
//   pool (see mapConcurrent), which parallelises better for small images than splitting one tiny image across
//   threads; it is also sharp's own default on glibc without jemalloc (avoids allocator fragmentation).
// Both are process-wide; configureSharp() applies them once, lazily, on the first decode.
import sharp from "sharp";
import type { ImageFormat } from "./sniff-image-format";

let configured = false;

export function configureSharp(): void {
  if (configured) return;
  configured = true;
  sharp.cache(false);
  sharp.concurrency(1);
}

/** Whether this sharp build can decode the format from a Buffer (prebuilt sharp has no BMP reader, for example). */
export function canDecode(format: ImageFormat): boolean {
  const info = (sharp.format as unknown as Record<string, { input?: { buffer?: boolean } } | undefined>)[format];
  return info?.input?.buffer === true;
}

export { sharp };
