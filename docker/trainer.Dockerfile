# fewlabel trainer for a GPU machine: the same apps/trainer process `npm start` runs locally, pointed at a fewlabel
# server with a trainer token (an owner creates one in the project's training settings). It needs no database and
# no shared disk: everything goes over HTTP. Build from the repository root, one of two targets:
#
#   webgpu (default): TensorFlow.js's WebGPU backend through Dawn -> Vulkan -> the NVIDIA driver. No CUDA toolkit in
#   the image; the container needs the driver's graphics capability for the Vulkan ICD:
#     docker build -f docker/trainer.Dockerfile -t fewlabel-trainer .
#     docker run --gpus all -e NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics \
#       -e FEWLABEL_URL=https://fewlabel.example.org -e FEWLABEL_TRAINER_TOKEN=flt_... fewlabel-trainer
#
#   cuda: @tensorflow/tfjs-node-gpu (libtensorflow 2.9.1, which needs CUDA 11.2 + cuDNN 8.1: hence this base image;
#   on newer CUDA stacks tfjs-node-gpu silently falls back to the CPU, tfjs issues #8269 / #8362):
#     docker build -f docker/trainer.Dockerfile --target cuda -t fewlabel-trainer-cuda .
#     docker run --gpus all -e FEWLABEL_URL=... -e FEWLABEL_TRAINER_TOKEN=flt_... fewlabel-trainer-cuda
#
# The trainer logs the backend it chose at start ("backend webgpu (nvidia-h200, ...)"); FEWLABEL_TF_BACKEND forces
# one. The encoder, batch and input size follow the hardware the trainer finds (apps/trainer/src/model-sizing.ts: on a
# GPU ResNet-18 of widths 32-256 at batch 256, 32-96 px by the images; on a CPU the small defaults), so the images set
# only the epochs; FEWLABEL_* variables override any of it (apps/trainer/README.md). Checkpoints live on the server,
# so the container keeps no state: kill it, start it elsewhere, and it resumes.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json turbo.json tsconfig.json prisma.config.ts ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY apps ./apps
COPY packages ./packages
COPY e2e/package.json ./e2e/package.json
RUN npm ci --no-audit --no-fund

# ---- webgpu: Dawn (the `webgpu` npm package) on the NVIDIA Vulkan driver ----
FROM node:20-bookworm-slim AS webgpu
# The Vulkan loader, and glvnd's libraries that the NVIDIA ICD (libGLX_nvidia) links against.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics FEWLABEL_TF_BACKEND=webgpu,wasm \
    FEWLABEL_PRETRAIN_EPOCHS=100 FEWLABEL_MAX_PRETRAIN_EPOCHS=800
COPY --from=build /app /app
USER node
CMD ["node", "--import", "tsx", "apps/trainer/src/main.ts"]

# ---- cuda: tfjs-node-gpu on CUDA 11.2 / cuDNN 8.1 ----
FROM nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04 AS cuda
COPY --from=node:20-bookworm-slim /usr/local/bin/node /usr/local/bin/node
COPY --from=node:20-bookworm-slim /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app /app
# Downloads libtensorflow at install time (needs the network while building; not a dependency of the repository).
RUN npm install --no-save --no-audit --no-fund @tensorflow/tfjs-node-gpu@4.22.0
ENV NODE_ENV=production FEWLABEL_TF_BACKEND=tensorflow,wasm \
    FEWLABEL_PRETRAIN_EPOCHS=100 FEWLABEL_MAX_PRETRAIN_EPOCHS=800
CMD ["node", "--import", "tsx", "apps/trainer/src/main.ts"]

# Default target.
FROM webgpu
