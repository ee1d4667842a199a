// The trainer service seen from the browser: an owner creates a trainer token in the UI and a real trainer process
// (apps/trainer, a tiny model so each stage takes seconds) trains the project over HTTP. The owner labels a few
// images; the trainer's pseudo-labels reach a teammate's open suggestions page without a reload; the teammate
// accepts, corrects and rejects them with the keyboard, downloads the distilled student and runs it in the browser
// with TensorFlow.js on an uploaded image. The images are colour and not square, so the student is an RGB model with
// preprocessing version 2 (the centred window), and the browser's prediction is checked against stock TensorFlow.js
// in Node on the same file (apps/trainer/test/stock-tfjs-child.mjs): one preprocessing, wherever the model runs.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { rgbPng } from "@fewlabel/storage/testing";
import { chromium, expect, test } from "@playwright/test";
import { cspViolations, newUser, ownerWithProject, teammateByInvite } from "./flows";

const repoRoot = path.resolve(import.meta.dirname, "../..");

/** A trainer child process with a configuration small enough for 2 cores (see apps/trainer/src/config.ts). */
function startTrainer(url: string, token: string, log: string[]): ChildProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "apps/trainer/src/main.ts"], {
    cwd: repoRoot,
    env: {
      ...process.env,
      FEWLABEL_URL: url,
      FEWLABEL_TRAINER_TOKEN: token,
      FEWLABEL_TRAINER_NAME: "e2e trainer",
      FEWLABEL_TF_BACKEND: "wasm",
      FEWLABEL_INPUT_SIZE: "28",
      FEWLABEL_ENCODER_WIDTHS: "8,16",
      FEWLABEL_ENCODER_BLOCKS: "1,1",
      FEWLABEL_PROJECTION_DIM: "16",
      FEWLABEL_STUDENT_WIDTHS: "8,16",
      FEWLABEL_BATCH_SIZE: "16",
      FEWLABEL_PRETRAIN_STEPS: "8",
      FEWLABEL_FINETUNE_STEPS: "12",
      FEWLABEL_DISTIL_STEPS: "12",
      // One pretraining run, no idle extensions; one worker; a short wait for uploads to settle.
      FEWLABEL_MAX_PRETRAIN_EPOCHS: "0",
      // No quick suggestions: this spec reviews the teacher's, and a quick suggestion that the teacher's replace while
      // it is being reviewed makes the review's outcome depend on timing (quick suggestions have their own
      // end-to-end test, apps/trainer/test/quick-suggestions.test.ts).
      FEWLABEL_QUICK_REFRESH_SECONDS: "0",
      FEWLABEL_TRAINER_WORKERS: "1",
      FEWLABEL_UPLOAD_SETTLE_SECONDS: "1",
      FEWLABEL_MIN_IMAGES: "8",
      FEWLABEL_MIN_LABELS: "6",
      // No held-out split from six labels: every label trains.
      FEWLABEL_MIN_LABELS_FOR_HOLDOUT: "1000",
      FEWLABEL_CHECKPOINT_EVERY: "100",
      FEWLABEL_PROGRESS_INTERVAL_MS: "100",
      FEWLABEL_POLL_INTERVAL_MS: "200",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const keep = (b: Buffer) => log.push(...b.toString().split("\n").filter(Boolean));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  return child;
}

test("a trainer's suggestions reach a teammate live, are reviewed with hotkeys, and its student runs in the browser", async ({ browser, baseURL }, testInfo) => {
  // About a minute on 2 idle cores; the margin is for a machine shared with other work.
  test.setTimeout(150_000);
  const run = Date.now().toString(36);
  const trainerLog: string[] = [];
  let trainer: ChildProcess | undefined;
  try {
    // The owner: a project with two classes and 16 colour images of 36 x 24.
    const owner = await newUser(browser);
    const projectUrl = await ownerWithProject(owner, { name: "Olga Owner", email: `olga-t-${run}@example.com`, project: "Trained pets", classes: ["cat", "dog"], images: 16, colour: true });

    // A teammate joins through an invite link.
    const mate = await teammateByInvite(owner, browser, projectUrl, "Tom Teammate", `tom-t-${run}@example.com`);

    // The owner's training page: no trainer yet. Fine-tuning runs once here (not again as suggestions get accepted),
    // and a token is created for a trainer "on another machine"; it is shown once, with the command line.
    await owner.goto(`${projectUrl}/training`);
    await expect(owner.getByTestId("trainer-state")).toHaveAttribute("data-online", "false");
    await expect(owner.getByTestId("trainer-activity-text")).toContainText("No trainer is connected");
    await owner.getByTestId("finetune-every-labels").fill("1000");
    await owner.getByTestId("finetune-every-percent").fill("1000");
    await owner.getByTestId("save-training-settings").click();
    await expect(owner.getByTestId("training-settings-saved")).toBeVisible();
    await owner.getByTestId("token-name").fill("e2e box");
    await owner.getByTestId("create-token").click();
    const token = await owner.getByTestId("token-value").inputValue();
    expect(token.length).toBeGreaterThan(20);
    await expect(owner.getByTestId("token-command")).toHaveValue(new RegExp(`FEWLABEL_TRAINER_TOKEN=${token}`));
    await expect(owner.locator('[data-testid="token-row"][data-token-name="e2e box"]')).toBeVisible();

    // The teammate opens the suggestions: nothing yet. A marker on window tells whether the page ever reloads.
    await mate.goto(`${projectUrl}/suggestions`);
    await expect(mate.getByText("No model yet")).toBeVisible();
    await mate.evaluate(() => ((window as unknown as { liveMarker: number }).liveMarker = 1));

    // The trainer starts and takes the project's lease: the owner's page shows it online, then stage 1 running.
    trainer = startTrainer(baseURL!, token, trainerLog);
    await expect(owner.getByTestId("trainer-state")).toHaveAttribute("data-online", "true", { timeout: 30_000 });
    await expect(owner.getByTestId("training-run")).toBeVisible({ timeout: 30_000 });
    await expect(owner.getByTestId("training-backend")).toContainText("wasm");
    // The trainer sizes its model for the hardware and says so (here the CPU, with this spec's small settings).
    await expect(owner.getByTestId("training-sizing")).toHaveText("CPU sizing: ResNet (1-1 blocks), widths 8-16, batch 16, input 28 px");
    // The run card is drawn again when the run moves on (pretraining ends, the next stage starts): a screenshot taken
    // just then finds its element detached, so it is taken again.
    await expect(async () => {
      await owner.getByTestId("training-run").screenshot({ path: testInfo.outputPath("training-sizing.png"), timeout: 5_000 });
    }).toPass({ timeout: 30_000 });
    // The trainer says what it does and why: pretraining (because the project has enough images), or, once that is
    // done, waiting for labels.
    await expect(owner.getByTestId("trainer-activity-text")).toHaveText(/^(Now: pretraining .*, because |Waiting: for labels)/);

    // The owner labels six images with the keyboard: three cats, three dogs.
    await owner.goto(`${projectUrl}/label`);
    const shown = owner.getByTestId("label-image");
    for (const key of ["1", "2", "1", "2", "1", "2"]) {
      await expect(shown).toBeVisible();
      const before = await shown.getAttribute("data-image-id");
      await owner.keyboard.press(key);
      await expect(shown).not.toHaveAttribute("data-image-id", before!);
    }
    await expect(owner.getByTestId("label-progress-text")).toContainText("6 / 16 labelled");

    // Fine-tuning, then pseudo-labels for the ten unlabelled images: they appear on the teammate's page, most
    // confident first, without a reload.
    const rows = mate.getByTestId("suggestion");
    await expect(rows).toHaveCount(10, { timeout: 60_000 });
    expect(await mate.evaluate(() => (window as unknown as { liveMarker?: number }).liveMarker)).toBe(1);
    const confidences = await rows.evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-confidence"))));
    expect(confidences).toEqual([...confidences].sort((a, b) => b - a));

    // The owner's labelling view now suggests the model's class for the image on screen.
    await expect(owner.getByTestId("label-suggestion")).toBeVisible();

    // Review with the keyboard: Enter accepts the active (first) one, the other class's key corrects the next, x rejects one.
    const first = rows.first();
    const acceptedImage = (await first.getAttribute("data-image-id"))!;
    await expect(first).toHaveAttribute("data-active", "true");
    await mate.keyboard.press("Enter");
    await expect(mate.getByTestId("toast")).toContainText("Accepted");
    await expect(mate.locator(`[data-testid="suggestion"][data-image-id="${acceptedImage}"]`)).toHaveCount(0);
    const next = rows.first();
    const suggestedClass = await next.getAttribute("data-class-name");
    await mate.keyboard.press(suggestedClass === "cat" ? "2" : "1");
    await expect(mate.getByTestId("toast")).toContainText(`as ${suggestedClass === "cat" ? "dog" : "cat"}`);
    await mate.keyboard.press("x");
    await expect(mate.getByTestId("toast")).toContainText("Rejected");
    await expect(rows).toHaveCount(7);
    await expect(mate.getByTestId("suggestion-total")).toHaveAttribute("data-count", "7");

    // The accepted suggestion is a label now: the grid shows it.
    await mate.goto(projectUrl);
    await expect(mate.getByTestId("count-labelled")).toContainText("8");
    // The seven still pending show on their unlabelled tiles as the model's guess.
    await expect(mate.getByTestId("tile-suggestion")).toHaveCount(7);
    await mate.screenshot({ path: testInfo.outputPath("grid-suggestions.png") });

    // The distilled student: listed on the models page, downloaded as a zip.
    await mate.goto(`${projectUrl}/models`);
    const student = mate.locator('[data-testid="model-version"][data-stage="DISTIL"]');
    await expect(student).toBeVisible({ timeout: 60_000 });
    const [download] = await Promise.all([mate.waitForEvent("download"), student.getByTestId("download-student").click()]);
    expect(download.suggestedFilename()).toMatch(/-student\.zip$/);
    const zip = await readFile((await download.path())!);
    expect(zip.subarray(0, 2).toString("latin1")).toBe("PK");
    expect(zip.toString("latin1")).toContain("model.json");

    // The demo page runs it in this browser with TensorFlow.js on an uploaded image (on the CPU backend: this
    // Chromium has no GPU, and WebGL through its software renderer only adds shader compilation time).
    const demo = await student.getByTestId("open-demo").getAttribute("href");
    expect(demo).toMatch(/\/models\/demo\?version=[0-9a-f-]{36}$/);
    await mate.goto(`${demo}&backend=cpu`);
    await expect(mate.getByTestId("student-demo")).toHaveAttribute("data-backend", "cpu", { timeout: 30_000 });
    // A wide colour photo: Chromium decodes it, the model's preprocessing takes its centred window.
    const photo = rgbPng(23, 50, 30);
    await mate.getByTestId("demo-input").setInputFiles({ name: "new-pet.png", mimeType: "image/png", buffer: photo });
    const predictions = mate.getByTestId("demo-prediction");
    await expect(predictions).toHaveCount(2);
    const inBrowser = await predictions.evaluateAll((els) => els.map((e) => [e.getAttribute("data-class-name")!, Number(e.getAttribute("data-probability"))] as const));
    expect(inBrowser[0]![1] + inBrowser[1]![1]).toBeCloseTo(1, 4);
    expect(inBrowser[0]![1]).toBeGreaterThanOrEqual(inBrowser[1]![1]);
    await expect(mate.getByTestId("demo-latency")).toContainText("ms");

    // The same file through stock TensorFlow.js in Node, from the student's files as a member downloads them.
    const versionId = demo!.split("version=")[1]!;
    const meta = (await (await mate.request.get(`/api/models/${versionId}/student/metadata.json`)).json()) as {
      classes: string[];
      channels: number;
      preprocessing: { version: number; resize: { fit: string } };
    };
    expect(meta).toMatchObject({ channels: 3, preprocessing: { version: 2, resize: { fit: "centre-crop" } } });
    const dir = await mkdtemp(path.join(os.tmpdir(), "fewlabel-e2e-student-"));
    try {
      const files = ["model.json", "metadata.json", "preprocess.js"];
      const manifest = JSON.parse(await (await mate.request.get(`/api/models/${versionId}/student/model.json`)).text()) as { weightsManifest: { paths: string[] }[] };
      files.push(...manifest.weightsManifest.flatMap((m) => m.paths));
      for (const name of files) {
        const res = await mate.request.get(`/api/models/${versionId}/student/${name}`);
        expect(res.status(), name).toBe(200);
        await writeFile(path.join(dir, name), await res.body());
      }
      await writeFile(path.join(dir, "photo.png"), photo);
      const child = path.join(repoRoot, "apps/trainer/test/stock-tfjs-child.mjs");
      const { stdout } = await promisify(execFile)(process.execPath, [child, dir, path.join(dir, "photo.png")], { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 });
      const [stock] = JSON.parse(stdout) as { probabilities: number[] }[];
      const expected = Object.fromEntries(meta.classes.map((name, k) => [name, stock!.probabilities[k]!]));
      for (const [name, p] of inBrowser) expect(Math.abs(p - expected[name]!), `${name}: browser ${p}, stock tfjs ${expected[name]}`).toBeLessThan(1e-4);

      // The same student on WebGPU, in a Chromium that offers an adapter (SwiftShader's, on this GPU-less machine),
      // signed in as the teammate: the page says webgpu ran, and the probabilities are stock tfjs's.
      const gpuBrowser = await chromium.launch({
        executablePath: "/usr/bin/chromium",
        args: ["--no-sandbox", "--enable-unsafe-webgpu", "--enable-features=Vulkan", "--use-webgpu-adapter=swiftshader"],
      });
      try {
        const gpuPage = await (await gpuBrowser.newContext({ baseURL: baseURL!, storageState: await mate.context().storageState() })).newPage();
        await gpuPage.goto(demo!);
        await expect(gpuPage.getByTestId("student-demo")).toHaveAttribute("data-backend", "webgpu", { timeout: 60_000 });
        await expect(gpuPage.getByTestId("student-demo")).toContainText("TensorFlow.js backend webgpu");
        await gpuPage.getByTestId("demo-input").setInputFiles({ name: "new-pet.png", mimeType: "image/png", buffer: photo });
        await expect(gpuPage.getByTestId("demo-prediction")).toHaveCount(2);
        const onGpu = await gpuPage.getByTestId("demo-prediction").evaluateAll((els) => els.map((e) => [e.getAttribute("data-class-name")!, Number(e.getAttribute("data-probability"))] as const));
        for (const [name, p] of onGpu) expect(Math.abs(p - expected[name]!), `${name}: webgpu ${p}, stock tfjs ${expected[name]}`).toBeLessThan(1e-3);
      } finally {
        await gpuBrowser.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // One of the project's own images, picked on the page, is classified the same way.
    const before = await mate.getByTestId("demo-preview").getAttribute("src");
    await expect(mate.getByTestId("demo-project-image")).toHaveCount(12);
    await mate.getByTestId("demo-project-image").nth(3).click();
    await expect(mate.getByTestId("demo-preview")).not.toHaveAttribute("src", before!);
    await expect(predictions).toHaveCount(2);
    await mate.screenshot({ path: testInfo.outputPath("demo-project-images.png") });
    // The training, review, models and demo pages (TensorFlow.js included) ran under the content security policy.
    expect(cspViolations()).toEqual([]);
  } catch (err) {
    console.log(`trainer log:\n${trainerLog.join("\n")}`);
    throw err;
  } finally {
    if (trainer && trainer.exitCode === null) {
      trainer.kill("SIGTERM");
      await new Promise((r) => {
        const t = setTimeout(() => (trainer!.kill("SIGKILL"), r(null)), 5_000);
        trainer!.once("exit", () => (clearTimeout(t), r(null)));
      });
    }
  }
});
