// The kernels module's exports (one wasm file per SIMD flavour, see scripts/build-kernels.mjs).
export { conv2dFilterGrad } from "./conv2dFilterGrad";
export { conv2d } from "./conv2d";
export { copyChannels } from "./pad";
export { channelMoments, channelAffine } from "./batchNorm";
