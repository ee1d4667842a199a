// A reviewer settles a tie (issue 15): two annotators give two images different classes, so each image's label is
// only the latest vote. The owner opens Review, sees every vote and the model's suggestion, and decides one image
// with the keyboard: an annotator's grid, open in another browser, shows the decided class without a reload, the
// card moves to "Decided" and the history marks the decision. A second decision is taken back from the toast.
import { expect, type Page, test } from "@playwright/test";
import { newUser, ownerWithProject, seedTrainer, teammateByInvite } from "./flows";

const tile = (page: Page, imageId: string) => page.locator(`[data-testid="image-tile"][data-image-id="${imageId}"]`);

/** A model version (no training: published from the test through the trainer api) suggests cat for every image. */
async function suggestCat(owner: Page, projectUrl: string, baseURL: string) {
  const { api, projectId, leaseId } = await seedTrainer(owner, projectUrl, baseURL);
  const state = await api.trpc.state.query({ projectId });
  const classIds = state.classes.map((c) => c.id);
  const cat = state.classes.find((c) => c.name === "cat")!.id;
  const meta = { stage: "FINETUNE", classIds, metrics: null, provenance: { backend: "wasm", steps: 1 }, imageCount: state.images.length, labelledCount: 0 };
  const version = await api.publishModel(projectId, leaseId, meta, []);
  const items = state.images.map((img) => ({ imageId: img.id, classId: cat, confidence: 0.71, probabilities: classIds.map((c) => (c === cat ? 0.71 : 0.29)) }));
  await api.trpc.postPseudoLabels.mutate({ projectId, leaseId: leaseId, modelVersionId: version.id, items });
}

/** Labels these tiles in the grid in one go (Ctrl-click each, then the class's hotkey). */
async function labelTiles(page: Page, projectUrl: string, imageIds: string[], hotkey: string, className: string) {
  await page.goto(projectUrl);
  for (const id of imageIds) await tile(page, id).click({ modifiers: ["Control"] });
  await expect(page.getByTestId("selected-count")).toHaveAttribute("data-count", String(imageIds.length));
  await page.keyboard.press(hotkey);
  await expect(page.getByTestId("toast")).toContainText(`Labelled ${imageIds.length} images as ${className}`);
}

test("a reviewer settles a tie and another user's grid follows live", async ({ browser, baseURL }, testInfo) => {
  test.setTimeout(120_000);
  const run = Date.now().toString(36);
  const owner = await newUser(browser);
  const projectUrl = await ownerWithProject(owner, { name: "Olga Owner", email: `olga-${run}@example.com`, project: "Tied pets", classes: ["cat", "dog"], images: 3 });
  await suggestCat(owner, projectUrl, baseURL!);
  const ann = await teammateByInvite(owner, browser, projectUrl, "Ann Annotator", `ann-${run}@example.com`);
  const bob = await teammateByInvite(owner, browser, projectUrl, "Bob Annotator", `bob-${run}@example.com`);

  // Ann says cat, then Bob says dog, for two images: ties, which the plain rule gives to the latest vote (dog).
  await owner.goto(projectUrl);
  await expect(owner.getByTestId("image-tile")).toHaveCount(3);
  const [first, second] = [await owner.getByTestId("image-tile").nth(0).getAttribute("data-image-id"), await owner.getByTestId("image-tile").nth(1).getAttribute("data-image-id")] as [string, string];
  await labelTiles(ann, projectUrl, [first, second], "1", "cat");
  await labelTiles(bob, projectUrl, [first, second], "2", "dog");

  // Bob keeps his grid open; a marker on window tells whether it was ever reloaded.
  await bob.keyboard.press("Escape");
  for (const id of [first, second]) await expect(tile(bob, id).getByTestId("tile-label")).toHaveText("dog");
  await bob.evaluate(() => ((window as unknown as { liveMarker: number }).liveMarker = 1));

  // The owner's Review page: both ties, each with both votes and the model's suggestion.
  await owner.getByTestId("open-review").click();
  const openList = owner.getByTestId("review-open");
  const card = (id: string) => owner.locator(`[data-testid="disagreement"][data-image-id="${id}"]`);
  await expect(owner.getByTestId("disagreement-total")).toHaveAttribute("data-count", "2");
  await expect(card(first).locator('[data-testid="vote"][data-voter="Ann Annotator"]')).toHaveAttribute("data-class-name", "cat");
  await expect(card(first).locator('[data-testid="vote"][data-voter="Bob Annotator"]')).toHaveAttribute("data-class-name", "dog");
  await expect(card(first).getByTestId("resolved-label")).toHaveAttribute("data-class-name", "dog");
  await expect(card(first).getByTestId("review-suggestion")).toContainText("Model v1");
  await expect(card(first).getByTestId("review-suggestion")).toContainText("cat");
  await expect(card(first).getByTestId("review-suggestion")).toContainText("71% sure");

  // Decided with the keyboard: Tab reaches "Decide as cat", Enter decides.
  const decideCat = card(first).locator('[data-testid="review-decide"][data-class-name="cat"]');
  await card(first).locator('[data-testid="review-vote"][data-class-name="dog"]').focus();
  for (let i = 0; i < 8 && !(await decideCat.evaluate((el) => el === document.activeElement)); i++) await owner.keyboard.press("Tab");
  await expect(decideCat).toBeFocused();
  await owner.keyboard.press("Enter");
  await expect(owner.getByTestId("toast")).toContainText("Decided pet-");
  await expect(owner.getByTestId("toast")).toContainText(": cat.");

  // Bob's grid shows cat for the decided image, live; the other tie is untouched.
  await expect(tile(bob, first).getByTestId("tile-label")).toHaveText("cat");
  await expect(tile(bob, second).getByTestId("tile-label")).toHaveText("dog");

  // The card moves to "Decided", saying who decided what; one image is still open.
  const decided = owner.getByTestId("review-decided").locator(`[data-testid="disagreement"][data-image-id="${first}"]`);
  await expect(decided.getByTestId("decision")).toHaveAttribute("data-decider", "Olga Owner");
  await expect(decided.getByTestId("decision")).toHaveAttribute("data-class-name", "cat");
  await expect(decided.getByTestId("resolved-label")).toHaveAttribute("data-class-name", "cat");
  await expect(decided.locator('[data-testid="review-decide"][data-class-name="cat"]')).toHaveAttribute("aria-pressed", "true");
  await expect(owner.getByTestId("disagreement-total")).toHaveAttribute("data-count", "1");
  await expect(openList.getByTestId("disagreement")).toHaveCount(1);

  // A second decision, taken back from the toast: Bob's tile goes to cat and back to dog, the card back to open.
  await card(second).locator('[data-testid="review-decide"][data-class-name="cat"]').click();
  await expect(tile(bob, second).getByTestId("tile-label")).toHaveText("cat");
  await expect(owner.getByTestId("toast")).toContainText(": cat.");
  await owner.getByTestId("toast-action").click();
  await expect(tile(bob, second).getByTestId("tile-label")).toHaveText("dog");
  await expect(openList.locator(`[data-testid="disagreement"][data-image-id="${second}"]`)).toBeVisible();
  await expect(openList.locator(`[data-testid="disagreement"][data-image-id="${second}"]`).getByTestId("decision")).toHaveCount(0);
  await expect(owner.getByTestId("decided-total")).toHaveAttribute("data-count", "1");

  // The history of the decided image marks the decision.
  await decided.getByRole("button", { name: "History" }).click();
  const marked = decided.locator('[data-testid="history-item"][data-decision="true"]');
  await expect(marked).toHaveCount(1);
  await expect(marked).toContainText("decision");
  await expect(marked).toContainText("Olga Owner");

  expect(await bob.evaluate(() => (window as unknown as { liveMarker?: number }).liveMarker)).toBe(1);

  const dismiss = owner.getByRole("button", { name: "Dismiss" });
  if (await dismiss.isVisible()) await dismiss.click();
  await owner.mouse.move(0, 0);
  await owner.screenshot({ path: testInfo.outputPath("review-decision.png"), fullPage: true });
});
