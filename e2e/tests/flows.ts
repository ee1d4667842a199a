// Steps several specs share: a new person in their own browser context, signing up, an owner's project with classes
// and uploaded images, a teammate joining through an invite link.
import { grayPng, rgbPng } from "@fewlabel/storage/testing";
import { type Browser, expect, type Page } from "@playwright/test";
import { createTrainerApi, type TrainerApi } from "@fewlabel/trainer/api-client";

const violations: string[] = [];

/** Records what the browser refuses under the server's content security policy (Chromium logs it to the console). */
export function watchCsp(page: Page): Page {
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(`${page.url()}: ${m.text()}`);
  });
  return page;
}

/** Every CSP violation seen so far on pages given to watchCsp (newUser's included). */
export const cspViolations = (): readonly string[] => violations;

export async function newUser(browser: Browser): Promise<Page> {
  return watchCsp(await (await browser.newContext()).newPage());
}

export async function signUp(page: Page, name: string, email: string) {
  await page.getByRole("link", { name: /sign up|create an account/i }).click();
  await page.getByLabel(/name/i).first().fill(name);
  await page.getByLabel(/email/i).fill(email);
  await page.getByLabel(/password/i).fill("correct horse battery");
  await page.getByRole("button", { name: /sign up|create account/i }).click();
}

/**
 * Signs the owner up, creates a project with these classes (hotkeys 1, 2, … in order) and uploads `images` small gray
 * PNGs (`pet-00.png`, …; two patterns by parity), or colour ones of 36 x 24 (`colour`). Returns the project's URL.
 */
export async function ownerWithProject(owner: Page, o: { name: string; email: string; project: string; classes: string[]; images: number; colour?: boolean }): Promise<string> {
  await owner.goto("/");
  await signUp(owner, o.name, o.email);
  await expect(owner).toHaveURL(/\/$/);
  await owner
    .getByRole("button", { name: /new project/i })
    .first()
    .click();
  await owner
    .getByLabel(/project name|^name/i)
    .first()
    .fill(o.project);
  for (const [i, c] of o.classes.entries()) {
    await owner.getByRole("button", { name: /add class/i }).click();
    await owner
      .getByPlaceholder(/class name/i)
      .nth(i)
      .fill(c);
  }
  await owner.getByRole("button", { name: /create project|^create$/i }).click();
  await expect(owner).toHaveURL(/\/projects\/[0-9a-f-]{36}$/);
  const projectUrl = owner.url();
  const files = Array.from({ length: o.images }, (_, i) => ({ name: `pet-${String(i).padStart(2, "0")}.png`, mimeType: "image/png", buffer: o.colour ? rgbPng(i + 1, 36, 24) : grayPng(i + 1, 24) }));
  await owner.getByTestId("upload-input").setInputFiles(files);
  await expect(owner.getByTestId("upload-result")).toContainText(new RegExp(String(o.images)), { timeout: 30_000 });
  return projectUrl;
}

/** The owner makes an invite link in the project's settings; a new person signs up through it and joins. */
export async function teammateByInvite(owner: Page, browser: Browser, projectUrl: string, name: string, email: string): Promise<Page> {
  await owner.goto(`${projectUrl}/settings`);
  await owner.getByTestId("create-invite").click();
  const inviteUrl = await owner.getByTestId("invite-url").inputValue();
  const mate = await newUser(browser);
  await mate.goto(inviteUrl);
  await signUp(mate, name, email);
  await mate.getByTestId("accept-invite").click();
  await expect(mate).toHaveURL(projectUrl);
  return mate;
}

/**
 * A trainer driven from the test (no training): the owner creates a token on the project's Training page, and the
 * test's trainer client takes the project's lease with it, to publish versions and post what a trainer posts.
 */
export async function seedTrainer(owner: Page, projectUrl: string, baseURL: string): Promise<{ api: TrainerApi; projectId: string; leaseId: string }> {
  const projectId = projectUrl.split("/").pop()!;
  await owner.goto(`${projectUrl}/training`);
  await owner.getByTestId("token-name").fill("seed");
  await owner.getByTestId("create-token").click();
  const api = createTrainerApi(baseURL, await owner.getByTestId("token-value").inputValue());
  const lease = await api.trpc.claimLease.mutate({ projectId, holder: "e2e seed" });
  if (!lease.ok) throw new Error("no trainer lease");
  return { api, projectId, leaseId: lease.leaseId };
}
