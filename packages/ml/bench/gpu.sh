#!/usr/bin/env bash
# GPU benchmark for a machine with an NVIDIA GPU and no Node.js installed (packages/ml README, "GPU run").
# Runs bench/train.ts on the webgpu backend (Dawn -> Vulkan -> NVIDIA driver) and bench/torch_ref.py (PyTorch
# CUDA) on the same model and SimCLR step. Budget: ~5 minutes.
#
# Needs, carried onto the machine (paths relative to the repository root or to packages/ml):
#   .gpu/node           a Linux x86-64 node binary (Debian's /usr/bin/node works: it only needs glibc), or
#   .gpu/node.xz        the same, xz-compressed (unpacked with python3's lzma)
#   and EITHER the repository's node_modules (tsx + @tensorflow/* + webgpu),
#   OR .gpu/bench.mjs + .gpu/node_modules/webgpu, made by bench/gpu-pack.sh (a ~40 MB self-contained bundle).
#   Optional: .gpu/lib/libvulkan.so.1 (Vulkan loader) for images that lack one.
# Environment: BENCH_STEPS (default 10), BENCH_BATCH (128), GPU_BENCH_SKIP_TORCH=1, GPU_BENCH_SKIP_WEBGPU=1.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cd "$root"

gpu=""
for d in "$root/.gpu" "$root/packages/ml/.gpu"; do
  if [ -e "$d/node" ] || [ -e "$d/node.xz" ] || [ -e "$d/bench.mjs" ]; then gpu="$d"; break; fi
done
[ -n "$gpu" ] || gpu="$root/.gpu"
echo "== fewlabel GPU benchmark: $(date -u +%FT%TZ), files from $gpu"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

if [ ! -x "$gpu/node" ] && [ -e "$gpu/node.xz" ]; then
  python3 -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],'wb'))" "$gpu/node.xz" "$gpu/node" && chmod +x "$gpu/node"
fi
NODE="${NODE:-$gpu/node}"

# Vulkan: the NVIDIA container toolkit mounts the ICD here; the loader honours VK_DRIVER_FILES (and the older
# VK_ICD_FILENAMES). Without a system libvulkan.so.1, use a carried one.
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json; do
  if [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd"; echo "Vulkan ICD: $icd"; break; fi
done
[ -n "${VK_DRIVER_FILES:-}" ] || echo "warning: no nvidia_icd.json found; Dawn will try the default Vulkan loader search"
if [ -d "$gpu/lib" ]; then export LD_LIBRARY_PATH="$gpu/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; fi

steps="${BENCH_STEPS:-10}"
batch="${BENCH_BATCH:-128}"
status=0
if [ "${GPU_BENCH_SKIP_WEBGPU:-0}" != 1 ]; then
  echo "== webgpu (TensorFlow.js, Dawn/Vulkan)"
  if [ ! -x "$NODE" ]; then
    echo "error: no node binary at $NODE"; status=1
  else
    export FEWLABEL_TF_BACKEND=webgpu
    args=(--backends=webgpu "--steps=$steps" "--batch=$batch" --forward-batch=256)
    if [ -f "$gpu/bench.mjs" ]; then
      (cd "$gpu" && timeout 200 "$NODE" bench.mjs "${args[@]}") || status=$?
    else
      timeout 200 "$NODE" --import tsx packages/ml/bench/train.ts "${args[@]}" || status=$?
    fi
  fi
fi
if [ "${GPU_BENCH_SKIP_TORCH:-0}" != 1 ]; then
  echo "== PyTorch reference"
  py="$(command -v python3 || command -v python)"
  timeout 120 "$py" packages/ml/bench/torch_ref.py --steps "$steps" --batch "$batch" || status=$?
  echo "== PyTorch reference, strict fp32 (no TF32)"
  timeout 90 "$py" packages/ml/bench/torch_ref.py --steps "$steps" --batch "$batch" --no-tf32 --inputs 32x32x3 || status=$?
fi
exit $status
