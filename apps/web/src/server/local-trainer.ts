// The trainer `npm start` runs next to the web server (unless FEWLABEL_LOCAL_TRAINER=0): a child process of this
// server, apps/trainer, talking to it over HTTP like any remote trainer. The server mints an instance trainer token
// for it at every start, hands it over in the child's environment and revokes it when it stops, so no token is ever
// written to disk and nothing needs configuring for a single machine. The FEWLABEL_* trainer settings of this
// server's environment apply to the child (see apps/trainer/README.md).
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { mintLocalTrainerToken, revokeTrainerToken } from "@fewlabel/api/trainer-tokens";
import type { PrismaClient } from "@fewlabel/db";

const trainerMain = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../trainer/src/main.ts");

export interface LocalTrainer {
  stop(): Promise<void>;
}

export function localTrainerEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.FEWLABEL_LOCAL_TRAINER !== "0" && env.FEWLABEL_LOCAL_TRAINER !== "false";
}

/** Starts the trainer child against http://127.0.0.1:port; restarts it if it dies (after a pause). */
export async function startLocalTrainer(db: PrismaClient, port: number): Promise<LocalTrainer> {
  const { id: tokenId, token } = await mintLocalTrainerToken(db);
  let child: ChildProcess | undefined;
  let stopping = false;
  let restart: NodeJS.Timeout | undefined;
  const launch = () => {
    child = spawn(process.execPath, ["--import", "tsx", trainerMain], {
      env: { ...process.env, FEWLABEL_URL: `http://127.0.0.1:${port}`, FEWLABEL_TRAINER_TOKEN: token, FEWLABEL_TRAINER_NAME: process.env.FEWLABEL_TRAINER_NAME || "local trainer" },
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("exit", (code, signal) => {
      if (stopping) return;
      console.error(`fewlabel: the local trainer stopped (${signal ?? `exit code ${code}`}); restarting it in 10 s`);
      restart = setTimeout(launch, 10_000);
    });
  };
  launch();
  return {
    async stop() {
      stopping = true;
      clearTimeout(restart);
      const c = child;
      if (c && c.exitCode === null && c.signalCode === null) {
        // SIGTERM lets it checkpoint and release its leases; a stuck trainer is killed after 15 s.
        await new Promise<void>((resolve) => {
          const kill = setTimeout(() => c.kill("SIGKILL"), 15_000);
          c.once("exit", () => (clearTimeout(kill), resolve()));
          c.kill("SIGTERM");
        });
      }
      await revokeTrainerToken(db, tokenId);
    },
  };
}
