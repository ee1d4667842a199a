# The trainer on an NVIDIA GPU, built on the CPU trainer image of docker/Dockerfile (build that first; name a target):
#
#   docker build -f docker/Dockerfile --target trainer -t fewlabel-trainer .
#   docker build -f docker/trainer-gpu.Dockerfile --target webgpu -t fewlabel-trainer-webgpu .
#   docker build -f docker/trainer-gpu.Dockerfile --target cuda   -t fewlabel-trainer-cuda .
ARG TRAINER_IMAGE=fewlabel-trainer

# ---- the trainer on an NVIDIA GPU through WebGPU: Dawn -> Vulkan -> the NVIDIA driver, no CUDA toolkit ----
#   docker run --gpus all -e NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics \
#     -e FEWLABEL_URL=https://fewlabel.example.org -e FEWLABEL_TRAINER_TOKEN=flt_... fewlabel-trainer-webgpu
# The encoder, batch and input size follow the hardware found (apps/trainer/src/model-sizing.ts: on a GPU ResNet-18 of
# widths 32-256 at batch 256, 32-96 px by the images), so the image sets only the epochs.
FROM ${TRAINER_IMAGE} AS webgpu
USER root
# The Vulkan loader, and glvnd's libraries that the NVIDIA ICD (libGLX_nvidia) links against.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 \
 && rm -rf /var/lib/apt/lists/*
USER node
ENV NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics FEWLABEL_TF_BACKEND=webgpu,wasm \
    FEWLABEL_PRETRAIN_EPOCHS=100 FEWLABEL_MAX_PRETRAIN_EPOCHS=800

# ---- the trainer on tfjs-node-gpu (libtensorflow 2.9.1, which needs CUDA 11.2 + cuDNN 8.1, hence this base; on
# newer CUDA stacks tfjs-node-gpu silently falls back to the CPU, tfjs issues #8269 / #8362) ----
FROM nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04 AS cuda
COPY --from=node:20-bookworm-slim /usr/local/bin/node /usr/local/bin/node
COPY --from=node:20-bookworm-slim /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 1000 node
WORKDIR /app
COPY --from=webgpu /app /app
# Downloads libtensorflow while the image is built (not a dependency of the repository: nothing downloads at run time).
RUN npm install --no-save --no-audit --no-fund @tensorflow/tfjs-node-gpu@4.22.0 && chown -R node /app/node_modules/@tensorflow
ENV NODE_ENV=production FEWLABEL_TF_BACKEND=tensorflow,wasm FEWLABEL_HEALTH_FILE=/tmp/fewlabel-trainer-alive \
    FEWLABEL_PRETRAIN_EPOCHS=100 FEWLABEL_MAX_PRETRAIN_EPOCHS=800
USER node
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "const t=require('fs').statSync(process.env.FEWLABEL_HEALTH_FILE).mtimeMs;process.exit(Date.now()-t<60000?0:1)"
CMD ["node", "dist/trainer.js"]

