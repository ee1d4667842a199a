// Node-only parts of @fewlabel/ml: dataset files, checkpoints and model export on disk.
export { saveCheckpoint, loadCheckpoint, type CheckpointInfo } from "./persistence/checkpoint.js";
export { exportModel, loadExportedModel, assembleTeacher, makeMetadata, type ModelMetadata } from "./persistence/export.js";
export { preprocessModuleSource, PREPROCESS_MODULE_FILE } from "./preprocess/preprocessModule.js";
export { DataParallelTrainer, type DataParallelOptions } from "./parallel/dataParallel.js";
