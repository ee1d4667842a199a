// Content addressing: every stored image is named by the SHA-256 of its original bytes, so the same upload twice is
// stored once and a key can never point at different content.
import { createHash } from "node:crypto";

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
