// The Models page's signals (issue 15, item 5), from versions a trainer publishes over its real api: held-out accuracy
// over the versions with 95% intervals and the best baseline of each, the serving teacher and student marked, and a
// newer teacher that came out clearly worse shown as a regression that does not serve.
import { expect, test } from "@playwright/test";
import { newUser, ownerWithProject, seedTrainer } from "./flows";

/** Metrics as the trainer reports them: `correct` of `heldOut` held-out labels, a Wilson interval, the baselines. */
function metrics(classIds: string[], correct: number, heldOut: number, method: "classifier" | "knn" = "classifier") {
  const p = correct / heldOut;
  const z = 1.96;
  const centre = (p + (z * z) / (2 * heldOut)) / (1 + (z * z) / heldOut);
  const half = (z * Math.sqrt((p * (1 - p)) / heldOut + (z * z) / (4 * heldOut * heldOut))) / (1 + (z * z) / heldOut);
  const half0 = Math.floor(heldOut / 2);
  return {
    accuracy: p,
    heldOut,
    perClass: classIds.map((classId, i) => ({ classId, accuracy: p, count: i === 0 ? half0 : heldOut - half0 })),
    confusion: [
      [Math.round(correct / 2), half0 - Math.round(correct / 2)],
      [heldOut - half0 - (correct - Math.round(correct / 2)), correct - Math.round(correct / 2)],
    ],
    method,
    interval: { low: Math.max(0, centre - half), high: Math.min(1, centre + half) },
    baselines: [
      { name: "pixel-1nn", accuracy: 0.64 },
      { name: "pixel-linear", accuracy: 0.7 },
      { name: "random-encoder-knn", accuracy: 0.41 },
    ],
    trainLabels: 1200,
  };
}

test("the models page charts held-out accuracy with intervals and baselines, marks what serves and a regression", async ({ browser, baseURL }, testInfo) => {
  const run = Date.now().toString(36);
  const owner = await newUser(browser);
  const projectUrl = await ownerWithProject(owner, { name: "Mia Owner", email: `mia-${run}@example.com`, project: "Charted pets", classes: ["cat", "dog"], images: 4 });
  const { api, projectId, leaseId } = await seedTrainer(owner, projectUrl, baseURL!);
  const classIds = (await api.trpc.summary.query({ projectId })).classes.map((c) => c.id);
  const files = (kind: string) => [{ path: `${kind}/model.json`, bytes: new TextEncoder().encode('{"format":"layers-model"}') }];
  const publish = (stage: "PRETRAIN" | "FINETUNE" | "DISTIL", m: ReturnType<typeof metrics>, parentId: string | null = null) =>
    api.publishModel(
      projectId,
      leaseId,
      { stage, classIds, metrics: m, provenance: { backend: "wasm" }, imageCount: 6000, labelledCount: 1500, parentId },
      stage === "PRETRAIN" ? [] : files(stage === "DISTIL" ? "student" : "teacher"),
    );

  // An encoder (kNN), a teacher of 80% and its student of 82%, then a teacher of 70% on 300 held-out labels: clearly
  // worse than 80% (the held-out noise is about 3.5 points), so it is a regression and the 80% teacher keeps serving.
  await publish("PRETRAIN", metrics(classIds, 186, 300, "knn"));
  const teacher = await publish("FINETUNE", metrics(classIds, 240, 300));
  await publish("DISTIL", metrics(classIds, 246, 300), teacher.id);
  await publish("FINETUNE", metrics(classIds, 210, 300));

  await owner.goto(`${projectUrl}/models`);
  const chart = owner.getByTestId("accuracy-chart");
  await expect(chart).toHaveAttribute("data-points", "4");
  // The best baseline (pixel logistic regression, 70%) as a dashed step: a flat line here (a box of no height).
  await expect(chart.getByTestId("baseline-line")).toHaveAttribute("d", /^M[\d.]+,[\d.]+L/);
  await expect(chart.locator('[data-testid="chart-version"][data-version="2"]')).toHaveAttribute("data-serving", /teacher/);
  await expect(chart.locator('[data-testid="chart-version"][data-version="3"]')).toHaveAttribute("data-serving", /student/);
  await expect(chart.locator('[data-testid="chart-version"][data-version="4"]')).not.toHaveAttribute("data-serving", /.+/);
  await expect(chart.locator('[data-testid="chart-version"][data-version="4"] title')).toContainText("regression: worse than v2");
  // The interval and the held-out count are shown, not a bare 0.1%.
  await expect(chart.locator('[data-testid="chart-version"][data-version="2"] title')).toContainText("300");
  await owner.screenshot({ path: testInfo.outputPath("models-accuracy-chart.png"), fullPage: true });
});
