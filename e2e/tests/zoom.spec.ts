// Looking closely at an image while labelling, as in CVAT or Label Studio: the wheel zooms about the pointer, keys
// zoom and pan, dragging pans, 0 resets, brightness and contrast adjust; the view starts whole on each new image
// unless "Keep" asks otherwise; the image detail of the grid zooms the same way.
import { expect, test } from "@playwright/test";
import { newUser, ownerWithProject } from "./flows";

test("zoom, pan, brightness and contrast in the labelling view and the image detail", async ({ browser }, testInfo) => {
  test.setTimeout(90_000);
  const run = Date.now().toString(36);
  const owner = await newUser(browser);
  const projectUrl = await ownerWithProject(owner, { name: "Zoe Zoomer", email: `zoe-${run}@example.com`, project: "Close looks", classes: ["cat", "dog"], images: 6, colour: true });

  await owner.goto(`${projectUrl}/label`);
  const shown = owner.getByTestId("label-image");
  await expect(shown).toBeVisible();
  const stage = owner.getByTestId("zoom-stage");
  await expect(stage).toHaveAttribute("data-scale", "1.000");
  await expect(owner.getByTestId("view-reset")).toBeDisabled();

  // "+" zooms in by a step; the wheel zooms about the pointer (away from the centre, so the image pans too).
  await owner.keyboard.press("+");
  await expect(stage).toHaveAttribute("data-scale", "1.250");
  await expect(owner.getByTestId("view-zoom-level")).toHaveText("125%");
  const box = (await stage.boundingBox())!;
  await owner.mouse.move(box.x + box.width * 0.25, box.y + box.height * 0.25);
  await owner.mouse.wheel(0, -400);
  await expect.poll(async () => Number(await stage.getAttribute("data-scale"))).toBeGreaterThan(1.6);
  const afterWheel = await stage.getAttribute("data-pan");
  expect(afterWheel).not.toBe("0,0");

  // Dragging pans; Shift + arrows pan; the image never leaves its frame (the pan stays within the zoomed box).
  await owner.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await owner.mouse.down();
  await owner.mouse.move(box.x + box.width / 2 - 80, box.y + box.height / 2 - 40, { steps: 4 });
  await owner.mouse.up();
  const afterDrag = (await stage.getAttribute("data-pan"))!;
  expect(afterDrag).not.toBe(afterWheel);
  await owner.keyboard.press("Shift+ArrowLeft");
  await expect(stage).not.toHaveAttribute("data-pan", afterDrag);
  const [x, y] = (await stage.getAttribute("data-pan"))!.split(",").map(Number);
  const scale = Number(await stage.getAttribute("data-scale"));
  expect(x).toBeLessThanOrEqual(0);
  expect(x).toBeGreaterThanOrEqual(-box.width * (scale - 1) - 1);
  expect(y).toBeLessThanOrEqual(0);
  // Shift + arrow panned: it did not move on to another image.
  await expect(owner.getByTestId("session-count")).toContainText("Press a class's key");

  // Brightness and contrast, from the toolbar.
  await owner.getByTestId("view-adjust").click();
  await owner.getByTestId("view-brightness").fill("1.5");
  await owner.getByTestId("view-contrast").fill("2");
  await expect(stage.locator("> div")).toHaveAttribute("style", /brightness\(1\.5\) contrast\(2\)/);
  await owner.screenshot({ path: testInfo.outputPath("label-view-zoomed.png") });

  // 0 resets everything.
  await owner.keyboard.press("0");
  await expect(stage).toHaveAttribute("data-scale", "1.000");
  await expect(stage).toHaveAttribute("data-pan", "0,0");
  await expect(stage.locator("> div")).not.toHaveAttribute("style", /brightness/);

  // A new image starts whole...
  await owner.keyboard.press("+");
  const first = (await shown.getAttribute("data-image-id"))!;
  await owner.keyboard.press("1");
  await expect(shown).not.toHaveAttribute("data-image-id", first);
  await expect(stage).toHaveAttribute("data-scale", "1.000");
  // ...unless the view is kept.
  await owner.getByTestId("view-keep").check();
  await owner.keyboard.press("+");
  await owner.keyboard.press("+");
  const second = (await shown.getAttribute("data-image-id"))!;
  await owner.keyboard.press("2");
  await expect(shown).not.toHaveAttribute("data-image-id", second);
  await expect(stage).toHaveAttribute("data-scale", "1.563");
  // The help lists the keys.
  await owner.keyboard.press("?");
  await expect(owner.getByTestId("shortcut-help")).toContainText("Zoom in / out");
  await owner.keyboard.press("Escape");

  // The image detail of the grid zooms too; its arrows still step through the images.
  await owner.goto(projectUrl);
  await owner.getByTestId("image-tile").first().click();
  const detail = owner.getByTestId("detail-zoom-stage");
  await expect(detail).toHaveAttribute("data-scale", "1.000");
  await owner.keyboard.press("+");
  await expect(detail).toHaveAttribute("data-scale", "1.250");
  await owner.screenshot({ path: testInfo.outputPath("image-detail-zoomed.png") });
  await owner.keyboard.press("ArrowRight");
  await expect(detail).toHaveAttribute("data-scale", "1.000");
});

test("every project page has the project's tab row, the current page marked, and it reaches every other page", async ({ browser }, testInfo) => {
  test.setTimeout(90_000);
  const run = Date.now().toString(36);
  const owner = await newUser(browser);
  const projectUrl = await ownerWithProject(owner, { name: "Tara Tabs", email: `tara-${run}@example.com`, project: "Tabbed", classes: ["cat", "dog"], images: 2 });
  const pages: [string, string][] = [
    ["open-training", "/training"],
    ["open-suggestions", "/suggestions"],
    ["open-models", "/models"],
    ["open-review", "/review"],
    ["open-experiments", "/experiments"],
    ["project-settings", "/settings"],
    ["tab-images", ""],
  ];
  // From each page to the next through the tab row (by keyboard on the way back to the images), the tab of the page
  // shown marked as current and no other.
  for (const [tab, suffix] of pages) {
    await owner.getByTestId("project-tabs").getByTestId(tab).click();
    await expect(owner).toHaveURL(`${projectUrl}${suffix}`);
    const current = owner.getByTestId("project-tabs").locator('[aria-current="page"]');
    await expect(current).toHaveCount(1);
    await expect(current).toHaveAttribute("data-testid", tab);
    if (tab === "open-training") await owner.screenshot({ path: testInfo.outputPath("training-page-tabs.png") });
  }
  // The tabs are links in the tab order: Tab reaches them, Enter follows one.
  await owner.getByTestId("project-tabs").getByTestId("open-models").focus();
  await owner.keyboard.press("Enter");
  await expect(owner).toHaveURL(`${projectUrl}/models`);
});
