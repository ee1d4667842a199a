// @fewlabel/experiments/report: result types, the markdown table and the SVG plot. No TensorFlow.js, no Node
// APIs: the web UI imports it too.
export * from "./types.js";
export { resultsTable } from "./table.js";
export { accuracyPlotSvg } from "./svg.js";
