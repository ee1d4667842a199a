// Entry point of the web app: `npm start` runs this after building. Opens the database (migrating it), the image
// store, Next.js, and serves everything on PORT (default 3000).
import path from "node:path";
import { fileURLToPath } from "node:url";
import next from "next";
import { createFewlabelServer } from "./src/server/create-server";
import { type LocalTrainer, localTrainerEnabled, startLocalTrainer } from "./src/server/local-trainer";
import { openServices } from "./src/server/services";

const dev = process.argv.includes("--dev") || process.env.NODE_ENV === "development";
const port = Number(process.env.PORT ?? 3000);
const dir = path.dirname(fileURLToPath(import.meta.url));

async function main() {
  const services = await openServices();
  const { vectorSearch } = services.database;
  console.log(`fewlabel: database: ${services.database.describe}; ${services.storeDescription}`);
  console.log(`fewlabel: "more like this" searches ${vectorSearch.mode === "pgvector" ? "with pgvector in the database" : `in memory (${vectorSearch.reason})`}`);
  const app = next({ dev, dir });
  await app.prepare();
  const web = await createFewlabelServer({
    db: services.database.prisma,
    store: services.store,
    pages: app.getRequestHandler(),
    redisUrl: process.env.REDIS_URL || undefined,
    serviceTrainerToken: process.env.FEWLABEL_SERVICE_TRAINER_TOKEN || undefined,
  });
  const address = await web.listen(port);
  console.log(`fewlabel: ready on http://localhost:${address.port}${process.env.REDIS_URL ? " (socket.io rooms shared through Redis)" : ""}`);
  // The trainer runs beside the server as its own process (FEWLABEL_LOCAL_TRAINER=0 turns it off, e.g. when trainers
  // run on GPU machines instead).
  let trainer: LocalTrainer | undefined;
  if (localTrainerEnabled()) {
    trainer = await startLocalTrainer(services.database.prisma, address.port, { publish: (events) => web.realtime.publish(events) });
    console.log("fewlabel: local trainer started (FEWLABEL_LOCAL_TRAINER=0 to run without it)");
  }

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    console.log(`fewlabel: ${signal}, shutting down`);
    await trainer?.stop().catch(() => {});
    await web.close().catch(() => {});
    await app.close().catch(() => {});
    await services.database.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((err) => {
  console.error(`fewlabel: could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
