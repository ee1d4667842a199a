#!/usr/bin/env bash
# Builds packages/ml/.gpu/: everything bench/gpu.sh needs on a GPU machine without Node.js or network,
# ~40 MB: node.xz (this machine's node binary), bench.mjs (bench/train.ts bundled with TensorFlow.js),
# node_modules/webgpu (Linux x86-64 Dawn only), lib/libvulkan.so.1 (if installed here: apt-get install libvulkan1).
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="$root/packages/ml/.gpu"
rm -rf "$out" && mkdir -p "$out/node_modules/webgpu/dist/linux-x64" "$out/lib"
xz -T2 -6 -c "$(readlink -f "$(command -v node)")" > "$out/node.xz"
cd "$root"
npx esbuild packages/ml/bench/train.ts --bundle --platform=node --format=esm --target=node20 \
  --outfile="$out/bench.mjs" --external:webgpu --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu \
  --external:@tensorflow/tfjs-backend-wasm \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" --log-level=warning
w="$root/node_modules/webgpu"
cp "$w/package.json" "$w/index.js" "$out/node_modules/webgpu/"
cp "$w/dist/linux-x64/dawn.node" "$out/node_modules/webgpu/dist/linux-x64/"
for d in "$w"/node_modules/*; do [ -d "$d" ] && cp -r "$d" "$out/node_modules/"; done
for lib in /usr/lib/x86_64-linux-gnu/libvulkan.so.1; do [ -e "$lib" ] && cp -L "$lib" "$out/lib/"; done
du -sh "$out"
