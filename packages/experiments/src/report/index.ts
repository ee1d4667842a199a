// @fewlabel/experiments/report: result types, the arms' comparison with the baselines, the markdown tables and the
// SVG plot. No TensorFlow.js, no Node APIs: the web UI imports it too.
export * from "./types";
export { baselinesAt, bestBaseline, compareWithBaselines, type ArmComparison } from "./compare";
export { baselinesTable, marginText, resultsTable } from "./table";
export { accuracyPlotSvg } from "./svg";
