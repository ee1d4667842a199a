// npm run test:docker [-- --keep]: the production images and docker/compose.yml, built and run here (issue 18).
//
//  1. Makes the base images from Debian's packages where they are missing (no image registry is reachable here):
//     fewlabel-local/node:20 (Debian's nodejs 20 and npm, a user `node`), fewlabel-local/services (PostgreSQL, Redis,
//     nginx) and fewlabel-local/s3rver (an S3-compatible server from npm, standing in for MinIO).
//  2. Builds the web and trainer images (docker/Dockerfile, NODE_IMAGE=fewlabel-local/node:20) and starts the stack
//     with docker/compose.test.yml over docker/compose.yml: two web servers behind nginx, the trainer service,
//     PostgreSQL, Redis, S3.
//  3. Through the proxy: signs up, uploads, labels over socket.io from two sessions that the proxy routes to different
//     web servers (one sees the other's labels live), waits for the trainer service to publish a model, then kills
//     the trainer container mid fine-tune and checks that a new one resumes that run from its last checkpoint.
//  4. `docker-compose down -v` (unless --keep), and prints build time, image sizes and time to the first model.
//
// Where no Docker engine runs it says so and exits 0 (`.ci/run` runs it; a machine without Docker skips it). It needs
// root for debootstrap the first time (as CI here has).
import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { png } from "@fewlabel/web/testing/fixtures";
import { TestUser } from "@fewlabel/web/testing";
import { call, collectEvents, connect } from "@fewlabel/web/testing/realtime";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const keep = process.argv.includes("--keep");
const PROJECT = "fewlabel-test";
const NODE_IMAGE = "fewlabel-local/node:20";
const SERVICES_IMAGE = "fewlabel-local/services";
const S3_IMAGE = "fewlabel-local/s3rver";
const DEBIAN_SUITE = "trixie"; // its nodejs is 20.19, which fewlabel's engines ask for; bookworm's is 18

const t0 = Date.now();
const log = (message: string) => console.log(`test:docker [${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${message}`);

function run(cmd: string, args: string[], options: SpawnSyncOptions & { quiet?: boolean } = {}): string {
  const r = spawnSync(cmd, args, { cwd: root, encoding: "utf8", maxBuffer: 256 * 1024 * 1024, stdio: options.quiet === false ? "inherit" : "pipe", ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}):\n${String(r.stderr ?? "").slice(-4000)}${String(r.stdout ?? "").slice(-2000)}`);
  return String(r.stdout ?? "");
}

function dockerRuns(): string | null {
  const r = spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], { encoding: "utf8" });
  if (r.error) return null;
  return r.status === 0 ? r.stdout.trim() : null;
}

const imageExists = (name: string) => spawnSync("docker", ["image", "inspect", name], { stdio: "ignore" }).status === 0;

/** A Debian root file system with `packages`, imported as `name` (debootstrap from Debian's mirror). */
function makeDebianImage(name: string, packages: string[], setup: string, changes: string[]): void {
  for (const tool of ["debootstrap", "chroot"]) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" }).status !== 0) throw new Error(`${tool} is needed to make ${name} (apt-get install -y debootstrap)`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fewlabel-rootfs-"));
  try {
    log(`making ${name} from Debian ${DEBIAN_SUITE} (${packages.join(", ")})`);
    run("debootstrap", ["--variant=minbase", DEBIAN_SUITE, dir, "http://deb.debian.org/debian"]);
    fs.copyFileSync("/etc/resolv.conf", path.join(dir, "etc/resolv.conf"));
    // The machine's own certificate authorities (an egress proxy's, where there is one), so npm inside reaches the registry.
    const extra = "/usr/local/share/ca-certificates";
    if (fs.existsSync(extra)) fs.cpSync(extra, path.join(dir, extra.slice(1)), { recursive: true });
    const script = `set -e; export DEBIAN_FRONTEND=noninteractive; apt-get update -q; apt-get install -y -q --no-install-recommends ca-certificates ${packages.join(" ")};
      update-ca-certificates >/dev/null; ${setup}; apt-get clean; rm -rf /var/lib/apt/lists/*; : > /etc/resolv.conf`;
    run("chroot", [dir, "sh", "-c", script]);
    run("sh", ["-c", `tar -C ${dir} -c . | docker import ${changes.map((c) => `--change '${c}'`).join(" ")} - ${name}`]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const POSTGRES_ENTRY = `#!/bin/sh
# PostgreSQL for the test stack: a cluster in /var/lib/postgresql/data, made on first start, reachable from the
# compose network (trust: a throwaway test network; the official image checks POSTGRES_PASSWORD instead).
set -e
bin=$(ls -d /usr/lib/postgresql/*/bin | tail -1)
data=/var/lib/postgresql/data
mkdir -p $data && chown postgres:postgres $data && chmod 700 $data
if [ ! -s $data/PG_VERSION ]; then
  su postgres -s /bin/sh -c "$bin/initdb -D $data -U postgres --auth=trust" >/dev/null
  echo "listen_addresses = '*'" >> $data/postgresql.conf
  echo "host all all 0.0.0.0/0 trust" >> $data/pg_hba.conf
  echo "CREATE DATABASE \${POSTGRES_DB:-fewlabel}" | su postgres -s /bin/sh -c "$bin/postgres --single -D $data postgres" >/dev/null
fi
exec su postgres -s /bin/sh -c "exec $bin/postgres -D $data -k /tmp"
`;

function makeBaseImages(): void {
  if (!imageExists(NODE_IMAGE)) {
    makeDebianImage(NODE_IMAGE, ["nodejs", "npm"], "useradd --create-home --uid 1000 --shell /bin/sh node", ["ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt", 'CMD ["node"]']);
  }
  if (!imageExists(SERVICES_IMAGE)) {
    const entry = Buffer.from(POSTGRES_ENTRY).toString("base64");
    makeDebianImage(
      SERVICES_IMAGE,
      ["postgresql", "redis-server", "redis-tools", "nginx-light", "curl"],
      `echo ${entry} | base64 -d > /usr/local/bin/fewlabel-postgres; chmod +x /usr/local/bin/fewlabel-postgres; rm -f /etc/nginx/sites-enabled/default`,
      ["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    );
  }
  if (!imageExists(S3_IMAGE)) {
    log(`making ${S3_IMAGE} (s3rver from npm on ${NODE_IMAGE})`);
    run("docker", ["build", "-t", S3_IMAGE, "-"], { input: `FROM ${NODE_IMAGE}\nRUN npm install -g --no-audit --no-fund s3rver@3.7.1 && mkdir /data && chown node /data\nUSER node\n` });
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | null | undefined | false>, everyMs = 1000): Promise<T> {
  const started = Date.now();
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ""}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function main(): Promise<void> {
  const version = dockerRuns();
  if (!version) {
    console.log("test:docker: skipped: no Docker engine runs here (`docker info` failed). Start one (dockerd) to build and run the images.");
    return;
  }
  if (spawnSync("docker-compose", ["version"], { stdio: "ignore" }).status !== 0) throw new Error("docker-compose is needed (apt-get install -y docker-compose)");
  log(`Docker engine ${version}`);
  makeBaseImages();

  const port = await freePort();
  const env = {
    ...process.env,
    NODE_IMAGE,
    PG_PASSWORD: crypto.randomBytes(8).toString("hex"),
    S3_SECRET: crypto.randomBytes(8).toString("hex"),
    FEWLABEL_SERVICE_TRAINER_TOKEN: `flt_${crypto.randomBytes(24).toString("hex")}`,
    FEWLABEL_PORT: String(port),
  };
  const compose = (args: string[], options: SpawnSyncOptions & { quiet?: boolean } = {}) =>
    run("docker-compose", ["-p", PROJECT, "-f", "docker/compose.yml", "-f", "docker/compose.test.yml", ...args], { env, ...options });
  const figures: Record<string, unknown> = { dockerEngine: version };

  // A stack left by an earlier run (--keep, or a killed run) goes first.
  compose(["down", "-v", "--remove-orphans"]);
  let buildStart = Date.now();
  log("building the web and trainer images (docker/Dockerfile)…");
  compose(["build", "web1", "trainer"]);
  figures.buildSeconds = Math.round((Date.now() - buildStart) / 1000);
  figures.imageSizesMB = Object.fromEntries(
    ["fewlabel-web", "fewlabel-trainer", NODE_IMAGE].map((image) => [image, Math.round(Number(run("docker", ["image", "inspect", "--format", "{{.Size}}", image]).trim()) / 1e6)]),
  );
  log(`built in ${figures.buildSeconds} s; sizes ${JSON.stringify(figures.imageSizesMB)}`);
  buildStart = Date.now();

  try {
    compose(["up", "-d"]);
    const proxy = `http://127.0.0.1:${port}`;
    await until("the proxy and both web servers to answer", 180_000, async () => (await fetch(`${proxy}/api/health`)).ok);
    const containers = run("docker", ["ps", "--filter", `label=com.docker.compose.project=${PROJECT}`, "--format", "{{.Names}} ({{.Status}})"])
      .trim()
      .split("\n");
    figures.upSeconds = Math.round((Date.now() - buildStart) / 1000);
    log(`stack up in ${figures.upSeconds} s: ${containers.join(", ")}`);

    // Every request goes through the proxy. Sessions are routed by their cookie: sign in until two sessions sit on
    // different web servers (the proxy names the server in X-Fewlabel-Upstream).
    const email = "owner@example.com";
    const owner = await TestUser.signUp(proxy, email);
    const upstreamOf = async (u: TestUser) => (await u.fetch("/api/health")).headers.get("x-fewlabel-upstream") ?? "?";
    const byUpstream = new Map<string, TestUser>([[await upstreamOf(owner), owner]]);
    for (let i = 0; i < 16 && byUpstream.size < 2; i++) {
      const u = new TestUser(proxy);
      await u.trpc.auth.signIn.mutate({ email, password: "correct horse battery" });
      const upstream = await upstreamOf(u);
      if (!byUpstream.has(upstream)) byUpstream.set(upstream, u);
    }
    if (byUpstream.size < 2) throw new Error(`every session landed on ${[...byUpstream.keys()].join(", ")}: the proxy does not spread sessions`);
    const [[upA, a], [upB, b]] = [...byUpstream.entries()] as [[string, TestUser], [string, TestUser]];
    log(`two sessions on two web servers: ${upA} and ${upB}`);

    const { id: projectId } = await a.trpc.projects.create.mutate({
      name: "Docker",
      classes: [
        { name: "a", hotkey: "1" },
        { name: "b", hotkey: "2" },
      ],
    });
    const { uploadId } = await a.trpc.uploads.start.mutate({ projectId });
    const files = await Promise.all(Array.from({ length: 64 }, async (_, i) => ({ path: `img${i}.png`, data: await png(i, 28, 1) })));
    const uploaded = await a.uploadFiles(uploadId, files);
    if (uploaded.body?.accepted !== files.length) throw new Error(`upload: ${JSON.stringify(uploaded.body)}`);
    await a.trpc.uploads.finish.mutate({ projectId, uploadId });
    const uploadedAt = Date.now();
    log(`uploaded ${files.length} images through ${upA}`);

    // Labels from both servers over socket.io; each socket sees the other's labels live (rooms shared through Redis).
    const ids = (await b.trpc.images.list.query({ projectId, limit: 1000 })).items.map((i) => i.id);
    const classIds = (await b.trpc.classes.list.query({ projectId })).map((c) => c.id);
    const [sockA, sockB] = await Promise.all([connect(proxy, a.cookie), connect(proxy, b.cookie)]);
    try {
      const seenByA = collectEvents(sockA);
      const seenByB = collectEvents(sockB);
      await call(sockA, "project:join", { projectId });
      await call(sockB, "project:join", { projectId });
      const label = async (socket: typeof sockA, imageIds: string[], classId: string) => {
        const ack = await call(socket, "label:setMany", { projectId, imageIds, classId, clientLabelId: crypto.randomUUID() });
        if (!ack.ok) throw new Error(`labelling failed: ${JSON.stringify(ack)}`);
      };
      await label(sockA, ids.slice(0, 8), classIds[0]!);
      await label(sockB, ids.slice(8, 16), classIds[1]!);
      await label(sockA, ids.slice(16, 24), classIds[1]!);
      await label(sockB, ids.slice(24, 32), classIds[0]!);
      const labelled = (events: typeof seenByA) => new Set(events.flatMap((e) => (e.type === "label" ? [e.data.imageId] : [])));
      const byA = [...ids.slice(0, 8), ...ids.slice(16, 24)];
      const byB = [...ids.slice(8, 16), ...ids.slice(24, 32)];
      await until("each server's socket to see the other's labels", 15_000, async () => byB.every((id) => labelled(seenByA).has(id)) && byA.every((id) => labelled(seenByB).has(id)), 100);
    } finally {
      sockA.close();
      sockB.close();
    }
    log("32 labels through both servers over socket.io, each seen live by the other's socket");

    // The trainer service (one container, the instance token) trains the project.
    const first = await until("the trainer service's first model", 600_000, async () => (await a.trpc.models.list.query({ projectId }))[0], 2000);
    figures.firstModelSeconds = Math.round((Date.now() - uploadedAt) / 1000);
    log(`first model after ${figures.firstModelSeconds} s: version ${first.version} (${first.stage})`);

    // Kill the trainer mid fine-tune (past two periodic checkpoints); a new container takes the run over from there.
    const running = await until(
      "a fine-tune past its second checkpoint",
      600_000,
      async () => {
        const c = (await a.trpc.training.status.query({ projectId })).current;
        return c && c.stage === "finetune" && c.status === "RUNNING" && c.step >= 45 ? c : null;
      },
      250,
    );
    const killedAt = running.step;
    run("docker", ["kill", `${PROJECT}_trainer_1`]);
    log(`killed the trainer container at fine-tune step ${killedAt}/${running.totalSteps}`);
    compose(["up", "-d", "--force-recreate", "--no-deps", "trainer"]);
    const resumed = await until(
      "a new trainer container to resume the fine-tune",
      180_000,
      async () => {
        const c = (await a.trpc.training.status.query({ projectId })).current;
        return c && c.stage === "finetune" && c.status === "RUNNING" && c.runId !== running.runId && c.step > c.startStep ? c : null;
      },
      500,
    );
    if (resumed.startStep < 20 || resumed.startStep > killedAt) throw new Error(`the new trainer started at step ${resumed.startStep}, not at a checkpoint between 20 and ${killedAt}`);
    figures.resume = { killedAtStep: killedAt, resumedFromStep: resumed.startStep, totalSteps: resumed.totalSteps };
    log(`a new trainer container resumed the fine-tune from its checkpoint at step ${resumed.startStep} (killed at ${killedAt})`);
    figures.totalSeconds = Math.round((Date.now() - t0) / 1000);
    console.log(`test:docker: passed ${JSON.stringify(figures)}`);
  } catch (error) {
    for (const service of ["web1", "web2", "trainer", "proxy"]) {
      const logs = spawnSync("docker-compose", ["-p", PROJECT, "-f", "docker/compose.yml", "-f", "docker/compose.test.yml", "logs", "--no-color", "--tail", "40", service], {
        cwd: root,
        env,
        encoding: "utf8",
      });
      console.error(`---- ${service} ----\n${logs.stdout}${logs.stderr}`);
    }
    throw error;
  } finally {
    if (keep) log(`--keep: the stack stays up on http://127.0.0.1:${port} (docker-compose -p ${PROJECT} -f docker/compose.yml -f docker/compose.test.yml down -v)`);
    else compose(["down", "-v", "--remove-orphans"]);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`test:docker: FAILED: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
