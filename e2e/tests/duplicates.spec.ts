// Near-duplicate groups (issue 17, item 3): a trainer (the real trainer api, driven from the test) posts a group of
// two images that straddles the held-out split. On the Review page the owner keeps one: the other leaves the grid's
// count and appears under "Hidden", from where it is shown again; a second group is found to be different pictures.
import { expect, test } from "@playwright/test";
import { newUser, ownerWithProject, seedTrainer } from "./flows";

test("duplicates: keep one of a group, find the hidden one under Hidden and show it again; mark another group distinct", async ({ browser, baseURL }, testInfo) => {
  const run = Date.now().toString(36);
  const owner = await newUser(browser);
  const projectUrl = await ownerWithProject(owner, { name: "Dora Owner", email: `dora-${run}@example.com`, project: "Twin shots", classes: ["cat", "dog"], images: 6 });
  const { api, projectId, leaseId } = await seedTrainer(owner, projectUrl, baseURL!);
  const images = (await api.trpc.state.query({ projectId })).images;
  await api.trpc.postDuplicateGroups.mutate({
    projectId,
    leaseId,
    groups: [
      { imageIds: [images[0]!.id, images[1]!.id], similarity: 0.994, straddlesHoldout: true },
      { imageIds: [images[2]!.id, images[3]!.id], similarity: 0.982, straddlesHoldout: false },
    ],
  });

  await owner.goto(`${projectUrl}/review`);
  const groups = owner.getByTestId("duplicate-group");
  await expect(groups).toHaveCount(2);
  await expect(owner.getByTestId("duplicate-total")).toContainText("2 groups");
  await expect(groups.first().getByTestId("straddles-holdout")).toBeVisible();
  await owner.screenshot({ path: testInfo.outputPath("duplicates.png"), fullPage: true });

  // Keep the first image of the straddling group: the other is hidden.
  await groups.first().getByTestId("duplicate-image").first().getByTestId("duplicates-keep").click();
  await expect(owner.getByTestId("toast")).toContainText("1 copy hidden");
  await expect(groups).toHaveCount(1);
  // The other group: different pictures.
  await groups.first().getByTestId("duplicates-distinct").click();
  await expect(owner.getByTestId("toast")).toContainText("different pictures");
  await expect(owner.getByTestId("duplicate-group")).toHaveCount(0);

  await owner.goto(projectUrl);
  await expect(owner.getByTestId("matching-count")).toHaveText("5 images");
  await owner.getByTestId("filter-hidden").click();
  await expect(owner.getByTestId("matching-count")).toHaveText("1 matching");
  const tile = owner.getByTestId("image-tile");
  await expect(tile).toHaveAttribute("data-image-id", images[1]!.id);
  await tile.click({ modifiers: ["Control"] });
  await owner.getByTestId("show-hidden").click();
  await expect(owner.getByTestId("toast")).toContainText("1 image shown again");
  await owner.getByTestId("filter-all").click();
  await expect(owner.getByTestId("matching-count")).toHaveText("6 images");
});
