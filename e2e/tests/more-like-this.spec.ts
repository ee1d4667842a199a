// "More like this" (issue 17): a trainer (the real trainer api, driven from the test) posts every image's embedding;
// from an image's detail the grid shows its nearest neighbours, most similar first; they are selected and labelled in
// bulk, the label is undone, and the chip goes back to all images.
import { encodeVector } from "@fewlabel/api/embedding-vector";
import { expect, test } from "@playwright/test";
import { newUser, ownerWithProject, seedTrainer } from "./flows";

test("more like this: an image's nearest neighbours in the grid, labelled in bulk and undone", async ({ browser, baseURL }, testInfo) => {
  const run = Date.now().toString(36);
  const owner = await newUser(browser);
  const projectUrl = await ownerWithProject(owner, { name: "Lena Owner", email: `lena-${run}@example.com`, project: "Alike pets", classes: ["cat", "dog"], images: 12 });
  const { api, projectId, leaseId } = await seedTrainer(owner, projectUrl, baseURL!);
  const state = await api.trpc.state.query({ projectId });
  const encoder = await api.publishModel(projectId, leaseId, { stage: "PRETRAIN", classIds: state.classes.map((c) => c.id), metrics: null, provenance: {}, imageCount: 12, labelledCount: 0 }, []);
  // Image i points at angle i * 15 degrees: image 0's neighbours are 1, 2, 3, … in that order.
  const items = state.images.map((img, i) => ({ imageId: img.id, vector: encodeVector([Math.cos((i * Math.PI) / 12), Math.sin((i * Math.PI) / 12), 0.5]) }));
  await api.trpc.postEmbeddings.mutate({ projectId, leaseId: leaseId, modelVersionId: encoder.id, items });

  // Open image 0 in the grid's detail view, then "More like this" (the m key).
  await owner.goto(projectUrl);
  await owner.locator(`[data-testid="image-tile"][data-image-id="${state.images[0]!.id}"]`).click();
  await expect(owner.getByTestId("more-like-this")).toBeVisible();
  await owner.keyboard.press("m");
  await expect(owner.getByTestId("similar-chip")).toBeVisible();
  await expect(owner.getByTestId("matching-count")).toHaveText("11 matching");
  const tiles = owner.getByTestId("image-tile");
  await expect(tiles.first()).toHaveAttribute("data-image-id", state.images[1]!.id);
  expect(await tiles.evaluateAll((els) => els.map((e) => e.getAttribute("data-image-id")))).toEqual(state.images.slice(1).map((i) => i.id));
  await owner.waitForFunction(() => {
    const onScreen = [...document.querySelectorAll('[data-testid="image-tile"]')].filter((t) => t.getBoundingClientRect().top < window.innerHeight - 200);
    return onScreen.every((t) => {
      const img = t.querySelector("img");
      return img?.complete && img.naturalWidth > 0;
    });
  });
  await owner.screenshot({ path: testInfo.outputPath("more-like-this.png") });

  // The three nearest, selected with Ctrl-click and Shift-click, labelled dog with its key; then undone.
  await tiles.nth(0).click({ modifiers: ["Control"] });
  await tiles.nth(2).click({ modifiers: ["Shift"] });
  await expect(owner.getByTestId("selected-count")).toHaveAttribute("data-count", "3");
  await owner.keyboard.press("2");
  await expect(owner.getByTestId("toast")).toContainText("Labelled 3 images as dog");
  const labelled = owner.getByTestId("count-labelled").locator("div").first();
  await expect(labelled).toHaveText("3");
  await owner.getByTestId("toast-action").click();
  await expect(labelled).toHaveText("0");

  // The chip's ✕ goes back to every image.
  await owner.getByTestId("similar-chip").getByRole("button", { name: "Back to all images" }).click();
  await expect(owner.getByTestId("similar-chip")).toHaveCount(0);
  await expect(owner.getByTestId("matching-count")).toHaveText("12 images");
});
