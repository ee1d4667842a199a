// Possible label errors on the Review page (issue 17): a trainer (the real trainer api, driven from the test) flags
// two labels the model contradicts; the owner changes one and keeps the other, and the grid follows.
import { expect, test } from "@playwright/test";
import { newUser, ownerWithProject, seedTrainer } from "./flows";

test("possible label errors: flagged labels listed for review, changed or kept by decision", async ({ browser, baseURL }, testInfo) => {
  const run = Date.now().toString(36);
  const owner = await newUser(browser);
  const projectUrl = await ownerWithProject(owner, { name: "Rosa Owner", email: `rosa-${run}@example.com`, project: "Checked pets", classes: ["cat", "dog"], images: 6 });

  // Every image labelled cat from the grid: select all on screen, key 1.
  await owner.getByTestId("select-visible").click();
  await owner.keyboard.press("1");
  await expect(owner.getByTestId("toast")).toContainText("Labelled 6 images as cat");

  const { api, projectId, leaseId } = await seedTrainer(owner, projectUrl, baseURL!);
  const state = await api.trpc.state.query({ projectId });
  const [cat, dog] = ["cat", "dog"].map((n) => state.classes.find((c) => c.name === n)!.id) as [string, string];
  const encoder = await api.publishModel(projectId, leaseId, { stage: "PRETRAIN", classIds: [cat, dog], metrics: null, provenance: {}, imageCount: 6, labelledCount: 6 }, []);
  const [first, second] = [state.images[2]!.id, state.images[4]!.id];
  await api.trpc.postLabelIssues.mutate({
    projectId,
    leaseId: leaseId,
    modelVersionId: encoder.id,
    items: [
      { imageId: first, givenClassId: cat, suggestedClassId: dog, selfConfidence: 0.08, suggestedConfidence: 0.9 },
      { imageId: second, givenClassId: cat, suggestedClassId: dog, selfConfidence: 0.3, suggestedConfidence: 0.65 },
    ],
  });

  await owner.goto(`${projectUrl}/review`);
  const issues = owner.getByTestId("label-issue");
  await expect(issues).toHaveCount(2);
  await expect(issues.first()).toHaveAttribute("data-image-id", first);
  await expect(issues.first()).toContainText("the model 8% sure of it");
  await owner.screenshot({ path: testInfo.outputPath("label-issues.png"), fullPage: true });

  await issues.first().getByTestId("issue-change").click();
  await expect(owner.getByTestId("toast")).toContainText("to dog");
  await expect(issues).toHaveCount(1);
  await issues.first().getByTestId("issue-keep").click();
  await expect(owner.getByTestId("label-issues")).toHaveCount(0);

  // The grid: the changed image is dog, the kept one still cat.
  await owner.goto(projectUrl);
  await expect(owner.locator(`[data-testid="image-tile"][data-image-id="${first}"]`).getByTestId("tile-label")).toHaveText("dog");
  await expect(owner.locator(`[data-testid="image-tile"][data-image-id="${second}"]`).getByTestId("tile-label")).toHaveText("cat");
});
