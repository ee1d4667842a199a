// @fewlabel/experiments: the label-efficiency experiment (supervised vs SimCLR v2 at a few label fractions).
export * from "./report/index";
export { stratifiedLabelSubset, stratifiedHoldOut, indicesByClass, keptPerClass } from "./split";
export { derivedSeeds, validateConfig, type ExperimentConfig, type StageSettings } from "./config";
export { BUDGETS, BUDGET_NAMES, budgetConfig, type BudgetName } from "./budgets";
export { planTasks, taskIds, percent } from "./plan";
export { runLabelEfficiency, pixelsToTensor, type ExperimentData, type ImageSet, type RunOptions, type PretrainCheckpoints, type PretrainState } from "./protocol";
export { directoryCheckpoints } from "./checkpoints";
export { testAccuracy } from "./evaluate";
export { encoderFeatures, trainLinearProbe } from "@fewlabel/ml";
export { writeResults, resultsMarkdown, defaultResultsDir, RESULT_FILES } from "./write";
export { fashionMnistData } from "./fashionMnist";
