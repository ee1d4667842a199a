// @fewlabel/ml: SimCLR v2 in TensorFlow.js. Backends, models, augmentations, losses, stages, persistence.
// Node-only modules (IDX files, checkpoints, export to disk) are separate entry points: ./node.
export { tf, tfl } from "./tf.js";
export { selectBackend, BACKEND_ORDER, type BackendName, type BackendReport, type SelectBackendOptions } from "./backend/select.js";
export { registerWasmTrainingKernels, conv2dFilterGradient, conv2dInputGradient, unsortedSegmentSum } from "./backend/wasmTraining.js";
export { createEncoder, encoderGraph, encoderFeatureDim, resnet18Config, validateEncoderConfig, type EncoderConfig } from "./models/resnet.js";
export {
  createProjectionHead,
  projectionHeadGraph,
  createClassifierHead,
  classifierHeadGraph,
  copyWeightsByLayerName,
  type ProjectionHeadConfig,
  type ClassifierHeadConfig,
} from "./models/heads.js";
export { createStudent, type StudentConfig } from "./models/student.js";
export { edgeEnergies, pixelExpertRows, EDGE_DIRECTIONS, edgeCell } from "./models/edgeEnergies.js";
export { batchNormalization, batchNormTrain, registerFastBatchNorm } from "./models/batchNorm.js";
export { augment, defaultAugmentConfig, fineTuneAugmentConfig, minCropScale, type AugmentConfig, type DataTraits } from "./augment/augment.js";
export { checkMirrorInvariance, MIRROR_RATIO_THRESHOLD, type MirrorCheck } from "./augment/mirror.js";
export { ntXentLoss, l2Normalize } from "./losses/ntXent.js";
export { LarsOptimizer, warmupCosine, createOptimizer, setLearningRate, type OptimizerName } from "./optim/lars.js";
export { tensorImageSource, type ImageSource } from "./stages/imageSource.js";
export { encoderClassifier, modelClassifier, type Classifier } from "./stages/classifier.js";
export { softmaxCrossEntropy } from "./losses/softmaxCrossEntropy.js";
export { variablesOf } from "./models/variables.js";
export { StageAborted, type Progress, type ProgressCallback } from "./stages/runStage.js";
export { pretrainContrastive, inputShapeOf, type PretrainOptions, type StageResult } from "./stages/pretrain.js";
export { fineTune, type FineTuneOptions } from "./stages/fineTune.js";
export { pseudoLabel, type PseudoLabels, type PseudoLabelOptions } from "./stages/pseudoLabel.js";
export { distil, type DistilOptions, type SelfTrainingOptions } from "./stages/distil.js";
export { mulberry32 } from "./util/random.js";
export {
  preprocessPixels,
  resizeToInput,
  cropPixels,
  convertChannels,
  preprocessingFor,
  preprocessingOf,
  PREPROCESSING_VERSION,
  type PreprocessingVersion,
  type Preprocessing,
  type Pixels,
} from "./preprocess/preprocess.js";
export { pixelImageSource, type PixelSourceOptions } from "./preprocess/pixelSource.js";
export * from "./eval/index.js";
