// Compiles the hand-written wasm SIMD kernels (packages/ml/assembly, AssemblyScript) to
// packages/ml/build/kernels.wasm. Runs from the root postinstall; the compiler (assemblyscript, with
// binaryen compiled to JS/wasm) comes from the npm registry, so nothing is downloaded and no native
// toolchain is needed. Without the file, training on wasm falls back to composed kernels (slower).
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
mkdirSync(join(root, "build"), { recursive: true });
let asc;
try {
  asc = (await import("assemblyscript/asc")).default;
} catch {
  console.warn("build-kernels: assemblyscript is not installed; wasm training will use the composed (slower) kernels");
  process.exit(0);
}
// Two flavours of the same source: plain SIMD, and relaxed SIMD (fused multiply-add; see assembly/madd.ts),
// which the loader prefers where the engine compiles it.
for (const [file, features] of [["kernels.wasm", "simd"], ["kernels-relaxed.wasm", "simd,relaxed-simd"]]) {
  const out = join(root, "build", file);
  const { error, stderr } = await asc.main(
    [
      join(root, "assembly", "index.ts"),
      "--outFile", out,
      "-O3", "--noAssert",
      "--runtime", "stub", // no allocator, no GC, no static data: the module works in memory it is given
      "--importMemory", // tfjs-backend-wasm's memory, so kernels read and write tensors where they lie
      "--enable", features,
    ],
    {},
  );
  if (error) {
    console.error(stderr.toString());
    console.error(`build-kernels: ${error.message}`);
    process.exit(1);
  }
  console.log(`build-kernels: wrote ${out}`);
}
