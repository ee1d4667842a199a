// The kernels module's exports (one wasm file, see scripts/build-kernels.mjs).
export { conv2dFilterGrad } from "./conv2dFilterGrad";
export { channelMoments, channelAffine } from "./batchNorm";
