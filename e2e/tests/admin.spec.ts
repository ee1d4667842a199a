// Instance administration in the browser. The first account on a fresh install is its admin, so this spec runs
// first (files run in name order on one worker): the admin makes sign-up invite-only, a stranger cannot create an
// account, a teammate with an invite can, and disabling the teammate takes their open labelling view offline at once.
import { expect, test } from "@playwright/test";
import { cspViolations, newUser, ownerWithProject, teammateByInvite } from "./flows";

test("the admin makes sign-up invite-only, disables an account (its open label view goes offline at once) and gives it a one-time reset link", async ({ browser }) => {
  const admin = await newUser(browser);
  const projectUrl = await ownerWithProject(admin, { name: "Ada Admin", email: "ada-admin@example.com", project: "Admin's pets", classes: ["cat", "dog"], images: 6 });
  await expect(admin.getByTestId("admin-link"), "this spec must be the first to sign up on a fresh e2e server").toBeVisible();

  await admin.getByTestId("admin-link").click();
  await expect(admin).toHaveURL(/\/admin$/);
  const policy = admin.getByTestId("sign-up-policy");
  await policy.getByLabel(/invite only/i).click();
  await expect(policy.getByLabel(/invite only/i)).toBeChecked();
  try {
    // A stranger without an invite is refused, with the reason.
    const stranger = await newUser(browser);
    await stranger.goto("/signup");
    await stranger.getByLabel(/name/i).first().fill("Sam Stranger");
    await stranger.getByLabel(/email/i).fill("sam@example.com");
    await stranger.getByLabel(/password/i).fill("correct horse battery");
    await stranger.getByRole("button", { name: /create account/i }).click();
    await expect(stranger.getByRole("alert").filter({ hasText: /invite only/i })).toBeVisible();

    // With an invite link, a teammate signs up and joins, then opens the labelling view.
    const mate = await teammateByInvite(admin, browser, projectUrl, "Lea Labeller", "lea@example.com");
    await mate.getByTestId("start-labelling").click();
    await expect(mate.getByTestId("label-image")).toBeVisible();
    await expect(mate.getByTestId("live-status")).toHaveAttribute("data-state", "live");

    // The admin disables her: her open view goes offline without a reload, and she cannot sign in again.
    await admin.goto("/admin");
    const row = admin.locator('[data-testid="admin-user"][data-email="lea@example.com"]');
    await row.getByTestId("toggle-disabled").click();
    await expect(row).toContainText("disabled");
    await expect(mate.getByTestId("live-status")).toHaveAttribute("data-state", "signed-out", { timeout: 15_000 });
    await mate.goto("/signin");
    await mate.getByLabel(/email/i).fill("lea@example.com");
    await mate.getByLabel(/password/i).fill("correct horse battery");
    await mate.getByRole("button", { name: /sign in/i }).click();
    await expect(mate.getByRole("alert").filter({ hasText: /disabled/i })).toBeVisible();

    // Enabled again, she has forgotten her password: the admin's one-time link sets a new one, once.
    await row.getByTestId("toggle-disabled").click();
    await expect(row).not.toContainText("disabled");
    await row.getByTestId("create-reset").click();
    const resetUrl = await admin.getByTestId("reset-url").inputValue();
    expect(resetUrl).toMatch(/\/reset\/[\w-]+$/);
    await mate.goto(resetUrl);
    await expect(mate.getByTestId("reset-form")).toContainText("lea@example.com");
    await mate.getByLabel("New password", { exact: true }).fill("lea's brand new password");
    await mate.getByLabel("New password again").fill("lea's brand new password");
    await mate.getByRole("button", { name: "Set password" }).click();
    await expect(mate.getByTestId("reset-done")).toBeVisible();
    await mate.goto(resetUrl);
    await expect(mate.getByTestId("reset-invalid")).toContainText(/already used/);
    await mate.goto("/signin");
    await mate.getByLabel(/email/i).fill("lea@example.com");
    await mate.getByLabel(/password/i).fill("lea's brand new password");
    await mate.getByRole("button", { name: /sign in/i }).click();
    await expect(mate).toHaveURL(/\/$/);
  } finally {
    await admin.goto("/admin");
    await admin.getByTestId("sign-up-policy").getByLabel(/^open/i).click();
    await expect(admin.getByTestId("sign-up-policy").getByLabel(/^open/i)).toBeChecked();
  }
  expect(cspViolations()).toEqual([]);
});
