// The embedding map (issue 17, item 4): a trainer (the real trainer api, driven from the test) posts every image's
// embedding and its place on the map, two groups far apart. On the Map page the owner lassoes one group and labels it
// in one go (the points recolour, the legend counts them; the toast's Undo takes it back, and it is labelled again),
// then lassoes the other, opens it in the grid, selects all of it there and labels it with a class key.
import { encodeVector } from "@fewlabel/api/embedding-vector";
import { expect, type Page, test } from "@playwright/test";
import { newUser, ownerWithProject, seedTrainer } from "./flows";

/** Draws a lasso around the map square's region [x0, x1] x [y0, y1] (0-1), as the map's fitted view shows it. */
async function lasso(page: Page, [x0, x1]: [number, number], [y0, y1]: [number, number]) {
  const box = (await page.getByTestId("map-canvas").boundingBox())!;
  const side = Math.min(box.width, box.height);
  const at = (x: number, y: number): [number, number] => [box.x + (box.width - side) / 2 + x * side, box.y + (box.height - side) / 2 + y * side];
  const corners = [at(x0, y0), at(x1, y0), at(x1, y1), at(x0, y1), at(x0, y0 + 0.01)];
  await page.mouse.move(...corners[0]!);
  await page.mouse.down();
  for (const c of corners.slice(1)) await page.mouse.move(...c, { steps: 4 });
  await page.mouse.up();
}

test("embedding map: lasso a group and label it, lasso another and label it in the grid", async ({ browser, baseURL }, testInfo) => {
  const run = Date.now().toString(36);
  const owner = await newUser(browser);
  const projectUrl = await ownerWithProject(owner, { name: "Mara Owner", email: `mara-${run}@example.com`, project: "Mapped pets", classes: ["cat", "dog"], images: 12 });
  const { api, projectId, leaseId } = await seedTrainer(owner, projectUrl, baseURL!);
  const state = await api.trpc.state.query({ projectId });

  // Before the trainer has drawn one: the empty state says what comes.
  await owner.goto(`${projectUrl}/map`);
  await expect(owner.getByText("No map yet")).toBeVisible();

  const encoder = await api.publishModel(projectId, leaseId, { stage: "PRETRAIN", classIds: state.classes.map((c) => c.id), metrics: null, provenance: {}, imageCount: 12, labelledCount: 0 }, []);
  await api.trpc.postEmbeddings.mutate({
    projectId,
    leaseId,
    modelVersionId: encoder.id,
    items: state.images.map((img, i) => ({ imageId: img.id, vector: encodeVector([i < 6 ? 1 : 0, i < 6 ? 0 : 1, i / 100]) })),
  });
  // Images 0-5 top left, 6-11 bottom right.
  const points = state.images.map((img, i) => ({ imageId: img.id, x: (i < 6 ? 0.15 : 0.7) + (i % 3) * 0.05, y: (i < 6 ? 0.15 : 0.7) + (Math.floor(i / 3) % 2) * 0.05 }));
  await api.trpc.postMapPoints.mutate({ projectId, leaseId, modelVersionId: encoder.id, points });

  await owner.reload();
  await expect(owner.getByTestId("map-canvas")).toHaveAttribute("data-points", "12");
  await expect(owner.getByTestId("map-summary")).toContainText("12 images from encoder v1");
  const legend = owner.getByTestId("map-legend");
  await expect(legend.getByRole("listitem").filter({ hasText: "Unlabelled" })).toContainText("12");

  // Hovering a point names it and shows its thumbnail.
  const box = (await owner.getByTestId("map-canvas").boundingBox())!;
  const side = Math.min(box.width, box.height);
  await owner.mouse.move(box.x + (box.width - side) / 2 + 0.15 * side, box.y + (box.height - side) / 2 + 0.15 * side);
  await expect(owner.getByTestId("map-tooltip")).toContainText("Unlabelled");

  // Shift-drag lasso around the top-left group, then "cat" from the selection bar.
  await owner.keyboard.down("Shift");
  await lasso(owner, [0.1, 0.35], [0.1, 0.3]);
  await owner.keyboard.up("Shift");
  await expect(owner.getByTestId("map-selected-count")).toHaveAttribute("data-count", "6");
  await owner.screenshot({ path: testInfo.outputPath("embedding-map.png") });
  await owner.getByTestId("map-bulk-class").filter({ hasText: "cat" }).click();
  await expect(owner.getByTestId("toast")).toContainText("Labelled 6 images as cat");
  await expect(legend.getByRole("listitem").filter({ hasText: "cat" })).toContainText("6");
  await expect(legend.getByRole("listitem").filter({ hasText: "Unlabelled" })).toContainText("6");
  // The toast's Undo takes the six back; lassoed again, they are labelled again.
  await owner.getByTestId("toast-action").click();
  await expect(owner.getByTestId("toast")).toContainText("Undone: 6 images back as they were.");
  await expect(legend.getByRole("listitem").filter({ hasText: "Unlabelled" })).toContainText("12");
  await owner.keyboard.down("Shift");
  await lasso(owner, [0.1, 0.35], [0.1, 0.3]);
  await owner.keyboard.up("Shift");
  await expect(owner.getByTestId("map-selected-count")).toHaveAttribute("data-count", "6");
  await owner.getByTestId("map-bulk-class").filter({ hasText: "cat" }).click();
  await expect(legend.getByRole("listitem").filter({ hasText: "cat" })).toContainText("6");
  await expect(legend.getByRole("listitem").filter({ hasText: "Unlabelled" })).toContainText("6");

  // Lasso mode (L) around the other group, opened in the grid: just those six, all selected, labelled dog by key.
  await owner.keyboard.press("l");
  await expect(owner.getByTestId("lasso-mode")).toHaveAttribute("aria-pressed", "true");
  await lasso(owner, [0.65, 0.9], [0.65, 0.85]);
  await expect(owner.getByTestId("map-selected-count")).toHaveAttribute("data-count", "6");
  await owner.getByTestId("open-selection-in-grid").click();
  await expect(owner.getByTestId("selection-chip")).toContainText("Selected on the map: 6");
  await expect(owner.getByTestId("matching-count")).toHaveText("6 matching");
  const ids = await owner.getByTestId("image-tile").evaluateAll((els) => els.map((e) => e.getAttribute("data-image-id")).sort());
  expect(ids).toEqual(
    state.images
      .slice(6)
      .map((i) => i.id)
      .sort(),
  );
  await owner.getByTestId("select-all-matching").click();
  await expect(owner.getByTestId("selected-count")).toHaveAttribute("data-count", "6");
  await owner.keyboard.press("2");
  await expect(owner.getByTestId("toast")).toContainText("Labelled 6 images as dog");
  await expect(owner.getByTestId("count-labelled").locator("div").first()).toHaveText("12");

  // Back on the map every point is labelled.
  await owner.goto(`${projectUrl}/map`);
  await expect(legend.getByRole("listitem").filter({ hasText: "dog" })).toContainText("6");
  await expect(legend.getByRole("listitem").filter({ hasText: "Unlabelled" })).toContainText("0");
});
