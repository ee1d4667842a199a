// The Experiments page: an owner starts the label-efficiency protocol (smoke-test budget) on the project's own
// images, watches a progress bar per arm with the running one marked, then reads the table (every arm beside the
// best baseline at its fraction), the baselines and the plot, which are still there after a reload.
import fs from "node:fs";
import { buildZip, grayPng } from "@fewlabel/storage/testing";
import { expect, test } from "@playwright/test";

test("start an experiment, watch its progress, read the results, reload", async ({ page }, testInfo) => {
  test.setTimeout(300_000);
  const classes = ["shirt", "trouser", "bag"];
  const files = Array.from({ length: 60 }, (_, i) => ({ name: `images/${classes[i % 3]}/img-${i}.png`, data: grayPng(i + 1) }));
  const zipPath = testInfo.outputPath("three-classes.zip");
  fs.writeFileSync(zipPath, buildZip(files.map((f) => ({ ...f, method: 0 }))));

  await page.goto("/signup");
  await page.getByLabel(/name/i).first().fill("Grace");
  await page.getByLabel(/email/i).fill("grace@example.com");
  await page.getByLabel(/password/i).fill("correct horse battery");
  await page.getByRole("button", { name: /sign up|create account/i }).click();
  await expect(page).toHaveURL(/\/$/);
  await page
    .getByRole("button", { name: /new project/i })
    .first()
    .click();
  await page
    .getByLabel(/project name|^name/i)
    .first()
    .fill("Experiment me");
  await page.getByRole("button", { name: /create project|^create$/i }).click();
  await expect(page).toHaveURL(/\/projects\/[0-9a-f-]{36}/);
  await page.getByTestId("upload-input").setInputFiles(zipPath);
  await expect(page.getByTestId("upload-result")).toContainText(/60/, { timeout: 60_000 });

  await page.getByTestId("open-experiments").click();
  await expect(page.getByTestId("experiments-page")).toBeVisible();
  await page.getByTestId("experiment-budget").selectOption("tiny");
  await page.getByTestId("experiment-fraction-1").uncheck();
  await page.getByTestId("experiment-fraction-10").uncheck();
  await page.getByTestId("experiment-fraction-50").check();
  await page.getByTestId("start-experiment").click();

  const experiment = page.getByTestId("experiment").first();
  await expect(page.getByTestId("experiment-status").first()).toHaveText("running");
  await expect(experiment.getByTestId("experiment-progress").getByRole("progressbar")).toHaveCount(8); // baselines at 100% and 50%, 2 supervised, pretraining, linear eval, teacher, student
  await expect(experiment.locator("[data-current=true]")).toHaveCount(1, { timeout: 60_000 });
  await expect(page.getByTestId("start-experiment")).toBeDisabled();

  await expect(page.getByTestId("experiment-status").first()).toHaveText("succeeded", { timeout: 240_000 });
  const rows = page.getByTestId("experiment-results").locator("tbody tr");
  await expect(rows).toHaveCount(6); // 5 arms + the shared pretraining
  await expect(rows.first()).toContainText("supervised-100%");
  // Each arm beside the best baseline on its labels; the baselines at 100% and 50% with their intervals.
  await expect(rows.first()).toContainText(/pixel (1-NN|5-NN|logistic regression)|random-encoder kNN/);
  await expect(page.getByTestId("experiment-baselines").locator("tbody tr")).toHaveCount(2);
  await expect(page.getByTestId("experiment-baselines")).toContainText(/pixel 1-NN/);
  await expect(page.getByTestId("experiment-plot")).toBeVisible();
  expect(await page.getByTestId("experiment-plot").evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);

  await page.reload();
  await expect(page.getByTestId("experiment-results").locator("tbody tr")).toHaveCount(6);
  await expect(page.getByTestId("experiment-status").first()).toHaveText("succeeded");
});
