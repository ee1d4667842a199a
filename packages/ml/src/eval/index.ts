// Evaluation: baselines, kNN, linear probes, feature extraction, confidence intervals.
export {
  BASELINE_NAMES,
  bestBaseline,
  computeBaselines,
  pixelLinearPredict,
  score,
  type BaselineName,
  type BaselineOptions,
  type BaselineResult,
  type LabelledImages,
  type Scored,
} from "./baselines.js";
export { encoderFeatures, pixelRows } from "./features.js";
export { wilsonInterval, type Interval } from "./interval.js";
export { argmaxRows, knnNeighbours, knnPredict, knnVotes, type KnnMetric } from "./knn.js";
export {
  acceptedPairs,
  ALIGNED,
  alignedSimilarity,
  DEFAULT_DUPLICATE_RULE,
  differentPictures,
  duplicateGroups,
  findNearDuplicatePairs,
  groupDuplicatePairs,
  isNearDuplicate,
  maskedCorrelation,
  scoreDuplicateCandidates,
  type DuplicateGroup,
  type DuplicatePair,
  type DuplicateRule,
  type GroupingOptions,
  type NearDuplicateOptions,
  type PairSimilarity,
} from "./nearDuplicates.js";
export { foldStandardisation, predictRows, trainLinearProbe, type LinearProbe, type LinearProbeOptions } from "./linearProbe.js";
