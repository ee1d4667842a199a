// @fewlabel/experiments/report: result types, the markdown table and the SVG plot. No TensorFlow.js, no Node
// APIs: the web UI imports it too.
export * from "./types";
export { resultsTable } from "./table";
export { accuracyPlotSvg } from "./svg";
