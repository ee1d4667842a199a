// npm run demo -- [--images N] [--label-fraction F] [--email ADDRESS] [--password P] [--seed N]
// Creates a ready demo project from Fashion-MNIST in the embedded database (FEWLABEL_DATA_DIR, default ./data) or
// DATABASE_URL's PostgreSQL. Run it while the server is stopped when using the embedded database (one process
// owns it), then `npm start` and sign in with the printed account.
import { parseArgs } from "node:util";
import { fashionMnistAvailable, FASHION_MNIST_DIR } from "@fewlabel/datasets";
import { createDemoProject } from "../src/server/demo-project";
import { openServices } from "../src/server/services";

const usage = "usage: npm run demo -- [--images N (default 2000)] [--label-fraction F (default 0.1)] [--email ADDRESS (default demo@fewlabel.local)] [--password P] [--seed N]";

async function main() {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { images: { type: "string", default: "2000" }, "label-fraction": { type: "string", default: "0.1" }, email: { type: "string", default: "demo@fewlabel.local" }, password: { type: "string" }, seed: { type: "string", default: "0" }, help: { type: "boolean" } },
  });
  if (values.help) return void console.log(usage);
  if (!fashionMnistAvailable()) throw new Error(`Fashion-MNIST not found in ${FASHION_MNIST_DIR}. Install it with: apt-get install -y dataset-fashion-mnist`);
  const services = await openServices();
  console.error(`demo: database: ${services.database.describe}`);
  try {
    let last = 0;
    const demo = await createDemoProject(
      { db: services.database.prisma, store: services.store },
      {
        images: Number(values.images), labelFraction: Number(values["label-fraction"]), email: values.email!, password: values.password, seed: Number(values.seed),
        onProgress: (n, total) => {
          if (n - last >= 500 || n === total) {
            last = n;
            console.error(`demo: ${n}/${total} images`);
          }
        },
      },
    );
    const { accepted, labelled, rejected } = demo.summary;
    console.log(`demo: project "${demo.projectName}" (${demo.projectId}): ${accepted} images, ${labelled} labelled, ${rejected.length} refused`);
    console.log(demo.createdPassword ? `demo: new account ${demo.email}, password ${demo.createdPassword}` : `demo: owned by the existing account ${demo.email}`);
    console.log("demo: now run `npm start` and open http://localhost:3000");
  } finally {
    await services.database.close();
  }
}

main().catch((err: unknown) => {
  console.error(`demo: failed: ${err instanceof Error ? err.message : String(err)}\n${usage}`);
  process.exit(1);
});
