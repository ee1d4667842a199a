// @fewlabel/experiments: the label-efficiency experiment (supervised vs SimCLR v2 at a few label fractions).
export * from "./report/index.js";
export { stratifiedLabelSubset, stratifiedHoldOut, indicesByClass, keptPerClass } from "./split.js";
export { derivedSeeds, validateConfig, type ExperimentConfig, type StageSettings } from "./config.js";
export { BUDGETS, BUDGET_NAMES, budgetConfig, type BudgetName } from "./budgets.js";
export { planTasks, taskIds, percent } from "./plan.js";
export { runLabelEfficiency, pixelsToTensor, type ExperimentData, type ImageSet, type RunOptions } from "./protocol.js";
export { testAccuracy } from "./evaluate.js";
export { encoderFeatures, trainLinearProbe } from "./linearEval.js";
export { writeResults, resultsMarkdown, defaultResultsDir, RESULT_FILES } from "./write.js";
export { fashionMnistData } from "./fashionMnist.js";
