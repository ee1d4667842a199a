// The trainer `npm start` runs next to the web server (unless FEWLABEL_LOCAL_TRAINER=0): a child process of this
// server, apps/trainer, talking to it over HTTP like any remote trainer. The server mints an instance trainer token
// for it at every start, hands it over in the child's environment and revokes it when it stops, so no token is ever
// written to disk and nothing needs configuring for a single machine. The FEWLABEL_* trainer settings of this
// server's environment apply to the child (see apps/trainer/README.md).
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { childEntry } from "@fewlabel/api/child-entry";
import { releaseTokenLeases } from "@fewlabel/api/trainer-lease";
import { LOCAL_TRAINER_NAME, mintLocalTrainerToken, revokeTrainerToken } from "@fewlabel/api/trainer-tokens";
import type { PrismaClient } from "@fewlabel/db";
import type { ProjectEvent } from "@fewlabel/realtime";

const trainerMain = childEntry(import.meta.url, () => path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../trainer/src/main.ts"), "trainer.js");

export interface LocalTrainer {
  /** The trainer process running now (undefined between a crash and its restart). */
  readonly process: ChildProcess | undefined;
  stop(): Promise<void>;
}

export interface LocalTrainerOptions {
  /** Live delivery of the events a released lease produces (the server's realtime publish). */
  publish?: (events: readonly ProjectEvent[]) => void;
  /** Overrides of the child's environment (tests); the server's own environment applies otherwise. */
  env?: Record<string, string>;
}

export function localTrainerEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.FEWLABEL_LOCAL_TRAINER !== "0" && env.FEWLABEL_LOCAL_TRAINER !== "false";
}

/** Starts the trainer child against http://127.0.0.1:port; restarts it if it dies (after a pause). */
export async function startLocalTrainer(db: PrismaClient, port: number, options: LocalTrainerOptions = {}): Promise<LocalTrainer> {
  const { id: tokenId, token } = await mintLocalTrainerToken(db);
  const env = { ...process.env, ...options.env };
  const name = env.FEWLABEL_TRAINER_NAME || LOCAL_TRAINER_NAME;
  let child: ChildProcess | undefined;
  let stopping = false;
  let restart: NodeJS.Timeout | undefined;
  /**
   * The token serves one child at a time, so once that child has exited nothing holds its leases any more: they end
   * now instead of lapsing (up to FEWLABEL_LEASE_SECONDS later), and the next child, or the next server's, takes the
   * projects over at once. This covers a trainer that could not release them itself (killed, crashed, or stopped
   * too slowly and killed).
   */
  const releaseLeases = async () => {
    const events = await releaseTokenLeases(db, tokenId, { id: tokenId, name }).catch((err: unknown) => {
      console.error(`fewlabel: could not release the local trainer's leases: ${err instanceof Error ? err.message : String(err)}`);
      return [];
    });
    if (events.length) options.publish?.(events);
  };
  const launch = () => {
    const c = spawn(process.execPath, [...trainerMain.execArgv, trainerMain.script], {
      env: { ...env, FEWLABEL_URL: `http://127.0.0.1:${port}`, FEWLABEL_TRAINER_TOKEN: token, FEWLABEL_TRAINER_NAME: name },
      stdio: ["ignore", "inherit", "inherit"],
    });
    child = c;
    c.on("exit", (code, signal) => {
      if (child === c) child = undefined;
      if (stopping) return;
      void releaseLeases();
      console.error(`fewlabel: the local trainer stopped (${signal ?? `exit code ${code}`}); restarting it in 10 s`);
      restart = setTimeout(launch, 10_000);
    });
  };
  launch();
  return {
    get process() {
      return child;
    },
    async stop() {
      stopping = true;
      clearTimeout(restart);
      const c = child;
      if (c && c.exitCode === null && c.signalCode === null) {
        // SIGTERM lets it checkpoint and release its leases; a stuck trainer is killed after 15 s. (After Ctrl-C it
        // has the terminal's SIGINT already; it takes this SIGTERM as the same request.)
        await new Promise<void>((resolve) => {
          const kill = setTimeout(() => c.kill("SIGKILL"), 15_000);
          c.once("exit", () => (clearTimeout(kill), resolve()));
          c.kill("SIGTERM");
        });
      }
      await releaseLeases();
      await revokeTrainerToken(db, tokenId);
    },
  };
}
