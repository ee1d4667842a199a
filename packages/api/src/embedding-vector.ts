// The wire format of an embedding between the trainer and the server: float32 little-endian values, base64. One
// definition for both sides (the trainer imports it as @fewlabel/api/embedding-vector, without the rest of the api).

export function encodeVector(v: ArrayLike<number>): string {
  return Buffer.from(Float32Array.from(v).buffer).toString("base64");
}

/** The values, or null when the bytes are not a whole number of float32s. */
export function decodeVector(b64: string): Float32Array | null {
  const bytes = Buffer.from(b64, "base64");
  if (bytes.length % 4 !== 0) return null;
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}
