// The first thing a new user does: sign up, create a project with classes, upload a zip of images while a progress
// bar moves, see the thumbnails, export the labels as CSV.
import fs from "node:fs";
import { buildZip, grayPng } from "@fewlabel/storage/testing";
import { expect, test } from "@playwright/test";
import { cspViolations, watchCsp } from "./flows";

test("sign up, create a project, upload a zip, see thumbnails, export CSV", async ({ page }, testInfo) => {
  const classes = ["shirt", "trouser", "bag"];
  const files = Array.from({ length: 60 }, (_, i) => ({ name: `images/${i < 45 ? classes[i % 3] : "unsorted"}/img-${i}.png`, data: grayPng(i + 1) }));
  // Files at the top of a class-less folder stay unlabelled: "unsorted" is a folder too, so it becomes a class;
  // keep the test honest by counting what the server reports rather than assuming.
  const zipPath = testInfo.outputPath("fashion.zip");
  fs.writeFileSync(zipPath, buildZip(files.map((f) => ({ ...f, method: 0 }))));

  watchCsp(page);
  await page.goto("/");
  await expect(page).toHaveURL(/\/signin/);
  await page.getByRole("link", { name: /sign up|create an account/i }).click();
  await page.getByLabel(/name/i).first().fill("Ada");
  await page.getByLabel(/email/i).fill("ada@example.com");
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
    .fill("Fashion");
  for (const [i, c] of ["shirt", "trouser"].entries()) {
    await page.getByRole("button", { name: /add class/i }).click();
    await page
      .getByPlaceholder(/class name/i)
      .nth(i)
      .fill(c);
  }
  await page.getByRole("button", { name: /create project|^create$/i }).click();
  await expect(page).toHaveURL(/\/projects\/[0-9a-f-]{36}/);
  await expect(page.getByTestId("upload-dropzone")).toBeVisible();

  await page.getByTestId("upload-input").setInputFiles(zipPath);
  await expect(page.getByTestId("upload-progress").first()).toBeVisible();
  await expect(page.getByTestId("upload-result")).toContainText(/60/, { timeout: 60_000 });

  const tiles = page.getByTestId("image-tile");
  await expect(tiles.first()).toBeVisible();
  expect(await tiles.count()).toBeGreaterThan(10);
  const firstThumb = tiles.first().locator("img");
  await expect(firstThumb).toHaveJSProperty("complete", true);
  expect(await firstThumb.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
  await expect(page.getByTestId("class-count").filter({ hasText: "shirt" })).toContainText("15");

  const downloadPromise = page.waitForEvent("download");
  await page.getByTestId("export-csv").click();
  const download = await downloadPromise;
  const csv = fs
    .readFileSync(await download.path(), "utf8")
    .trim()
    .split(/\r?\n/);
  expect(csv[0]).toBe("filename,label,annotator,source,labelled_at");
  expect(csv).toHaveLength(61);
  expect(csv.filter((l) => /,shirt,ada@example\.com,import,/.test(l))).toHaveLength(15);
  // The account page, from the name in the top bar: a new password, and this browser listed as the current session.
  await page.getByTestId("current-user").click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByTestId("session").filter({ hasText: "This browser" })).toBeVisible();
  await page.getByLabel("Current password").fill("correct horse battery");
  await page.getByLabel("New password", { exact: true }).fill("an even better horse");
  await page.getByLabel("New password again").fill("an even better horse");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByTestId("password-changed")).toBeVisible();

  // A sign-in link crafted to send people elsewhere after signing in (a tab before the second slash: browsers read
  // "/\t/evil.example" as "//evil.example") lands on the app's home page instead.
  await page.goto("/signin?next=%2F%09%2Fevil.example%2Fphish");
  await expect(page).toHaveURL(/^http:\/\/127\.0\.0\.1:\d+\/$/);

  // The policy is enforced, and the watch above would see it: markup injected into a page cannot run script.
  const probe = await page.context().newPage();
  const refused: string[] = [];
  probe.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) refused.push(m.text());
  });
  await probe.goto("/account");
  await probe.evaluate(() => document.body.insertAdjacentHTML("beforeend", '<img src="/no-such-image.png" onerror="window.__injected = 1">'));
  await expect.poll(() => refused.length).toBeGreaterThan(0);
  expect(await probe.evaluate(() => (window as unknown as { __injected?: number }).__injected)).toBeUndefined();
  await probe.close();

  // Every page above ran under the server's content security policy without the browser refusing anything.
  expect(cspViolations()).toEqual([]);
});
