// Checkpoints in a results folder, so that a long run (the full budget takes many hours on a CPU) that stops resumes
// with `--resume <dir>` instead of starting over: the shared pretraining's (`<dir>/checkpoints/pretrain`) and each
// arm's while it trains (`<dir>/checkpoints/<arm>`, removed once the arm is scored; a SimCLR teacher's once its
// student is).
import fs from "node:fs";
import path from "node:path";
import { loadCheckpoint, saveCheckpoint } from "@fewlabel/ml/node";
import type { ArmCheckpoints, ArmState, PretrainCheckpoints, PretrainState } from "./protocol";

export function directoryCheckpoints(resultsDir: string): PretrainCheckpoints & { dir: string } {
  const dir = path.join(resultsDir, "checkpoints", "pretrain");
  return {
    dir,
    save: (state, models, optimizer) =>
      saveCheckpoint<Omit<PretrainState, "nextStep">>(dir, { stage: "pretrain", nextStep: state.nextStep, extra: { losses: state.losses, seconds: state.seconds } }, { ...models }, optimizer),
    async load(models, optimizer) {
      if (!fs.existsSync(path.join(dir, "checkpoint.json"))) return null;
      const info = await loadCheckpoint<Omit<PretrainState, "nextStep">>(dir, { ...models }, optimizer);
      return { nextStep: info.nextStep, losses: info.extra?.losses ?? [], seconds: info.extra?.seconds ?? 0 };
    },
    arm: (task) => armCheckpoints(path.join(resultsDir, "checkpoints", task)),
  };
}

function armCheckpoints(dir: string): ArmCheckpoints {
  return {
    save: (state, models, optimizer) => saveCheckpoint<Omit<ArmState, "nextStep">>(dir, { stage: "arm", nextStep: state.nextStep, extra: { seconds: state.seconds } }, models, optimizer),
    async load(models, optimizer) {
      if (!fs.existsSync(path.join(dir, "checkpoint.json"))) return null;
      const info = await loadCheckpoint<Omit<ArmState, "nextStep">>(dir, models, optimizer);
      return { nextStep: info.nextStep, seconds: info.extra?.seconds ?? 0 };
    },
    clear: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
