// The demo project: Fashion-MNIST images (Debian's dataset-fashion-mnist) as PNGs in a new project with the ten
// classes and hotkeys 1-9, 0, a stratified seeded fraction of them labelled, owned by a given or new account.
// Everything goes through the product's own paths: auth.signUp, projects.create and uploads.start/finish as tRPC
// calls in-process, and the images through ingestFiles (with a filename,label CSV), as an upload would.
import { randomBytes } from "node:crypto";
import { appRouter, createSession, deleteSession, ingestFiles, resolveSession, type ApiServices, type IncomingFile, type IngestSummary } from "@fewlabel/api";
import { FASHION_MNIST_CLASSES, imageAt, loadFashionMnist } from "@fewlabel/datasets";
import { stratifiedLabelSubset } from "@fewlabel/experiments/split";
import { toCsv } from "@fewlabel/storage";
import sharp from "sharp";

export interface DemoProjectOptions {
  /** How many training images (the first N of Fashion-MNIST's training split). */
  images: number;
  /** Fraction of them that arrive labelled (stratified by class, seeded). */
  labelFraction: number;
  /** Owner: an existing account, or a new one made with `password` (generated when absent). */
  email: string;
  password?: string;
  projectName?: string;
  seed?: number;
  /** Folder holding the IDX files (default: the Debian package's). */
  datasetDir?: string;
  onProgress?: (processed: number, total: number) => void;
}

export interface DemoProject {
  projectId: string;
  projectName: string;
  userId: string;
  email: string;
  /** Set when a new account was made: the password to sign in with. */
  createdPassword?: string;
  summary: IngestSummary;
}

const HOTKEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"];

export async function createDemoProject(services: ApiServices, o: DemoProjectOptions): Promise<DemoProject> {
  if (!(Number.isInteger(o.images) && o.images > 0 && o.images <= 60_000)) throw new Error(`--images ${o.images}: expected a whole number from 1 to 60000`);
  if (!(o.labelFraction >= 0 && o.labelFraction <= 1)) throw new Error(`--label-fraction ${o.labelFraction}: expected a number from 0 to 1`);
  const data = loadFashionMnist("train", { limit: o.images, dir: o.datasetDir });
  // Act as the owner through a real (short-lived) session, so every check of the procedures applies: the one
  // sign-up opens for a new account, or a fresh one for an existing account. It is deleted at the end.
  let token: string | null = null;
  const anonymous = appRouter.createCaller({ ...services, session: null, trainer: null, clientAddress: null, setSessionCookie: (t) => void (token = t) });
  let userId = (await services.db.user.findUnique({ where: { email: o.email }, select: { id: true } }))?.id;
  let createdPassword: string | undefined;
  if (!userId) {
    createdPassword = o.password ?? randomBytes(9).toString("base64url");
    userId = (await anonymous.auth.signUp({ email: o.email, name: o.email.split("@")[0] || "demo", password: createdPassword })).id;
  } else token = (await createSession(services.db, userId)).token;
  const session = (await resolveSession(services.db, token ?? undefined))!;
  try {
    const caller = appRouter.createCaller({ ...services, session, trainer: null, clientAddress: null, setSessionCookie: () => {} });
    const projectName = o.projectName ?? `Fashion-MNIST demo (${o.images} images, ${+(o.labelFraction * 100).toPrecision(3)}% labelled)`;
    const project = await caller.projects.create({
      name: projectName,
      description: "Fashion-MNIST (Zalando, MIT licence) from Debian's dataset-fashion-mnist package, made by npm run demo.",
      classes: FASHION_MNIST_CLASSES.map((name, i) => ({ name, hotkey: HOTKEYS[i]! })),
    });
    const labelled = o.labelFraction > 0 ? stratifiedLabelSubset(data.labels, o.labelFraction, o.seed ?? 0) : new Int32Array();
    const name = (i: number) => `fashion-mnist-${String(i).padStart(5, "0")}.png`;
    const csv = toCsv([["filename", "label"], ...Array.from(labelled, (i) => [name(i), data.classes[data.labels[i]!]!])]);
    async function* files(): AsyncGenerator<IncomingFile> {
      // The CSV first, so every labelled image is labelled as it is inserted.
      yield { path: "labels.csv", bytes: Buffer.from(csv) };
      for (let i = 0; i < data.count; i++) {
        const png = await sharp(Buffer.from(imageAt(data, i)), { raw: { width: data.width, height: data.height, channels: 1 } })
          .toColourspace("b-w")
          .png()
          .toBuffer();
        yield { path: name(i), bytes: png };
      }
    }
    const { uploadId } = await caller.uploads.start({ projectId: project.id });
    const summary = await ingestFiles(services, { projectId: project.id, uploadId, userId, role: "OWNER" }, files(), {
      onProgress: (processed) => o.onProgress?.(processed, data.count),
    });
    await caller.uploads.finish({ projectId: project.id, uploadId });
    return { projectId: project.id, projectName: project.name, userId, email: o.email, createdPassword, summary };
  } finally {
    await deleteSession(services.db, session.sessionId);
  }
}
