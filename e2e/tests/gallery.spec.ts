// Reviewing a model's suggestions class by class (issue 15): a trainer (the real trainer api, driven from the test, no
// training) publishes a model version and suggests classes for the project's unlabelled images. A teammate opens the
// gallery of one suggested class, marks the wrong ones with the mouse and the keyboard, accepts the rest in one batch
// and takes the batch back; the owner's grid filters by suggested class and orders by the suggestion's confidence.
import { expect, test } from "@playwright/test";
import { newUser, ownerWithProject, seedTrainer, teammateByInvite } from "./flows";

test("the suggestion gallery: mark the wrong ones, accept the rest, undo; the grid by suggested class and confidence", async ({ browser, baseURL }, testInfo) => {
  const run = Date.now().toString(36);
  const owner = await newUser(browser);
  const projectUrl = await ownerWithProject(owner, { name: "Gina Owner", email: `gina-${run}@example.com`, project: "Gallery pets", classes: ["cat", "dog"], images: 12 });
  const mate = await teammateByInvite(owner, browser, projectUrl, "Gus Teammate", `gus-${run}@example.com`);

  // A model version suggests cat for eight images (confidence 0.55 … 0.9) and dog for four.
  const { api, projectId, leaseId } = await seedTrainer(owner, projectUrl, baseURL!);
  const state = await api.trpc.state.query({ projectId });
  const classIds = state.classes.map((c) => c.id);
  const [cat, dog] = [state.classes.find((c) => c.name === "cat")!.id, state.classes.find((c) => c.name === "dog")!.id];
  const meta = { stage: "FINETUNE", classIds, metrics: null, provenance: { backend: "wasm", steps: 1 }, imageCount: 12, labelledCount: 0 };
  const version = await api.publishModel(projectId, leaseId, meta, []);
  const items = state.images.map((img, i) => {
    const classId = i < 8 ? cat : dog;
    const confidence = i < 8 ? 0.55 + i * 0.05 : 0.7;
    return { imageId: img.id, classId, confidence, probabilities: classIds.map((c) => (c === classId ? confidence : 1 - confidence)) };
  });
  await api.trpc.postPseudoLabels.mutate({ projectId, leaseId: leaseId, modelVersionId: version.id, items });

  // The gallery opens on the first class with suggestions, least sure first.
  await mate.goto(`${projectUrl}/suggestions`);
  await mate.getByTestId("view-gallery").click();
  await expect(mate).toHaveURL(/view=gallery/);
  await expect(mate.locator('[data-testid="gallery-class"][data-class-name="cat"]')).toHaveAttribute("data-count", "8");
  await expect(mate.locator('[data-testid="gallery-class"][data-class-name="dog"]')).toHaveAttribute("data-count", "4");
  const tiles = mate.getByTestId("gallery-tile");
  await expect(tiles).toHaveCount(8);
  await expect(tiles.first()).toHaveAttribute("aria-label", /55% sure/);

  // Mark two wrong ones: one by clicking, one with the arrow keys and Space. The button says what will happen.
  await tiles.nth(0).click();
  await mate.keyboard.press("ArrowRight");
  await mate.keyboard.press("ArrowRight");
  await expect(tiles.nth(2)).toHaveAttribute("data-focused", "true");
  await mate.keyboard.press(" ");
  await expect(mate.getByTestId("gallery-marked")).toHaveAttribute("data-count", "2");
  await expect(tiles.nth(2)).toHaveAttribute("data-marked", "true");
  await expect(mate.getByTestId("gallery-apply")).toContainText("Accept 6, reject 2");
  const markedIds = [await tiles.nth(0).getAttribute("data-id"), await tiles.nth(2).getAttribute("data-id")];
  await mate.screenshot({ path: testInfo.outputPath("suggestion-gallery.png") });

  // Enter applies: six cats accepted, two rejected, and the class is empty; the owner's grid has six cats.
  await mate.keyboard.press("Enter");
  await expect(mate.getByTestId("toast")).toContainText("Accepted 6 suggestions as cat, rejected 2");
  await expect(tiles).toHaveCount(0);
  await expect(mate.getByText("No cat suggestions left")).toBeVisible();
  await owner.goto(projectUrl);
  const labelled = owner.getByTestId("count-labelled").locator("div").first();
  await expect(labelled).toHaveText("6");

  // Undo takes the whole batch back: the eight are in the gallery again, the two marked ones among them.
  await mate.getByTestId("toast-action").click();
  await expect(mate.getByTestId("toast")).toContainText("Undone: 8 suggestions back in the queue");
  await mate.locator('[data-testid="gallery-class"][data-class-name="cat"]').click();
  await expect(tiles).toHaveCount(8);
  for (const id of markedIds) await expect(mate.locator(`[data-testid="gallery-tile"][data-id="${id}"]`)).toBeVisible();
  await expect(labelled).toHaveText("0");

  // The owner's grid: unlabelled images suggested as dog, then everything by the suggestion's confidence.
  await owner.getByTestId("filter-suggested").selectOption({ label: "Suggested: dog" });
  await expect(owner.getByTestId("matching-count")).toHaveText("4 matching");
  await owner.getByTestId("filter-suggested").selectOption({ label: "Any suggestion" });
  await owner.getByTestId("filter-sort").selectOption("leastConfident");
  const firstTile = owner.getByTestId("image-tile").first();
  await expect(firstTile).toHaveAttribute("data-image-id", state.images[0]!.id);
  // The screenshot waits for the thumbnails on screen (they load lazily, after a moment).
  await owner.waitForFunction(() => {
    const onScreen = [...document.querySelectorAll('[data-testid="image-tile"]')].filter((t) => t.getBoundingClientRect().top < window.innerHeight - 200);
    return onScreen.every((t) => {
      const img = t.querySelector("img");
      return img?.complete && img.naturalWidth > 0;
    });
  });
  await owner.screenshot({ path: testInfo.outputPath("grid-least-sure-first.png") });
  await owner.getByTestId("filter-sort").selectOption("mostConfident");
  await expect(firstTile).toHaveAttribute("data-image-id", state.images[7]!.id);

  // The list view shows the same twelve, one by one.
  await mate.getByTestId("view-list").click();
  await expect(mate.getByTestId("suggestion")).toHaveCount(12);
});
