// The child process that runs a project's experiment (started by the web server, see
// packages/api/src/services/experiments.ts): `node --import tsx worker.ts <job dir>`. Training never blocks the
// server's event loop, and cancelling is killing this process; on a local image store it reads the project's images
// itself. Reports over IPC (WorkerMessage).
import fs from "node:fs";
import path from "node:path";
import { selectBackend } from "@fewlabel/ml";
import { getTrainingCopy, LocalImageStore, mapConcurrentToArray } from "@fewlabel/storage";
import { runLabelEfficiency } from "../protocol";
import { writeResults } from "../write";
import { decodeImageRecords, type ProjectExperimentJob, type WorkerMessage } from "./job";
import { decodeProjectImages, fitConfigToProject, projectExperimentData } from "./projectData";

const send = (m: WorkerMessage) => new Promise<void>((resolve) => (process.send ? process.send(m, undefined, undefined, () => resolve()) : resolve()));

async function main(dir: string) {
  const job = JSON.parse(fs.readFileSync(path.join(dir, "job.json"), "utf8")) as ProjectExperimentJob;
  const pngs = job.store ? await readFromStore(job.store) : decodeImageRecords(fs.readFileSync(path.join(dir, "images.bin")));
  if (pngs.length !== job.labels.length) throw new Error(`job has ${job.labels.length} labels for ${pngs.length} images`);
  const decoded = await decodeProjectImages(pngs, job.labels);
  const backend = await selectBackend();
  const { data } = projectExperimentData(decoded, job.classes, job.testFraction, job.config.seed);
  // The hold-out leaves at least one labelled image of every labelled class in training.
  const trainLabelled = data.train.labels.filter((l) => l >= 0).length;
  const config = fitConfigToProject(job.config, decoded, data.train.labels.length, data.test.labels.length, trainLabelled);
  await send({ type: "config", config, trainImages: data.train.labels.length, testImages: data.test.labels.length, skipped: decoded.skipped });
  const results = await runLabelEfficiency(data, config, { backend, onEvent: (event) => send({ type: "event", event }) });
  writeResults(job.outDir, results, config);
  await send({ type: "done", results });
}

/** The training copies, read from the local image store (made from the original where a copy of this size is missing). */
async function readFromStore(store: NonNullable<ProjectExperimentJob["store"]>): Promise<Buffer[]> {
  const images = new LocalImageStore(store.rootDir);
  return mapConcurrentToArray(store.hashes, 8, (hash) => getTrainingCopy(images, hash, store.trainingCopySide));
}

// The server that started this run is gone (stopped or crashed): nobody will read the results, so stop training
// instead of holding a core for hours. (Its row is marked failed once its heartbeat is missed.)
process.on("disconnect", () => process.exit(1));

main(process.argv[2]!).then(
  () => process.exit(0),
  async (err: unknown) => {
    await send({ type: "error", message: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  },
);
