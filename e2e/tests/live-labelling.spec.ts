// Two people label one project at the same time, in two browser contexts: an annotator works through the labelling
// view with the keyboard while the owner watches the grid and labels in bulk. Each sees the other's labels, the
// counts and who is looking at what change without a reload.
import { expect, type Page, test } from "@playwright/test";
import { newUser, ownerWithProject, teammateByInvite } from "./flows";

const classCount = (page: Page, name: string) => page.locator(`[data-testid="class-count"][data-class-name="${name}"]`);
const tile = (page: Page, imageId: string) => page.locator(`[data-testid="image-tile"][data-image-id="${imageId}"]`);

test("two users label one project at the same time and see each other's work live", async ({ browser }) => {
  test.setTimeout(90_000);
  const run = Date.now().toString(36);

  // The owner: a project with two classes (hotkeys 1 and 2) and 12 unlabelled images.
  const owner = await newUser(browser);
  const projectUrl = await ownerWithProject(owner, { name: "Olga Owner", email: `olga-${run}@example.com`, project: "Live pets", classes: ["cat", "dog"], images: 12 });

  // An annotator signs up through an invite link made in the settings, and joins.
  const annotator = await teammateByInvite(owner, browser, projectUrl, "Ann Annotator", `ann-${run}@example.com`);

  // The owner watches the grid; a marker on window tells whether the page was ever reloaded.
  await owner.goto(projectUrl);
  await expect(owner.getByTestId("image-tile")).toHaveCount(12);
  await expect(owner.getByTestId("count-labelled")).toContainText("0");
  await owner.evaluate(() => ((window as unknown as { liveMarker: number }).liveMarker = 1));

  // The annotator opens the labelling view and gets an image; the owner sees who is online and on which tile.
  await annotator.getByTestId("start-labelling").click();
  const shown = annotator.getByTestId("label-image");
  await expect(shown).toBeVisible();
  await expect(annotator.getByTestId("live-status")).toHaveAttribute("data-state", "live");
  const first = (await shown.getAttribute("data-image-id"))!;
  await expect(owner.locator('[data-testid="presence-user"][data-user-name="Ann Annotator"]')).toBeVisible();
  await expect(tile(owner, first)).toHaveAttribute("data-viewed-by", "Ann Annotator");

  // "?" shows the shortcuts, Escape closes them.
  await annotator.keyboard.press("?");
  await expect(annotator.getByTestId("shortcut-help")).toContainText("cat");
  await annotator.keyboard.press("Escape");
  await expect(annotator.getByTestId("shortcut-help")).toBeHidden();

  // Hotkey 1 labels the image cat and moves on; the owner's grid and counts follow without a reload.
  await annotator.keyboard.press("1");
  await expect(shown).not.toHaveAttribute("data-image-id", first);
  await expect(tile(owner, first).getByTestId("tile-label")).toHaveText("cat");
  await expect(classCount(owner, "cat")).toHaveAttribute("data-count", "1");
  await expect(owner.getByTestId("count-labelled")).toContainText("1");

  // "s" skips: another image, nothing labelled.
  const second = (await shown.getAttribute("data-image-id"))!;
  await annotator.keyboard.press("s");
  await expect(shown).not.toHaveAttribute("data-image-id", second);
  const third = (await shown.getAttribute("data-image-id"))!;
  expect(third).not.toBe(first);

  // Hotkey 2 labels dog; Backspace undoes it: the owner sees dog come and go, the annotator gets the image back.
  await annotator.keyboard.press("2");
  await expect(classCount(owner, "dog")).toHaveAttribute("data-count", "1");
  await expect(tile(owner, third).getByTestId("tile-label")).toHaveText("dog");
  await annotator.keyboard.press("Backspace");
  await expect(classCount(owner, "dog")).toHaveAttribute("data-count", "0");
  await expect(tile(owner, third).getByTestId("tile-label")).toHaveText("unlabelled");
  await expect(shown).toHaveAttribute("data-image-id", third);

  // ← goes back to what I labelled: the first image, marked cat.
  await annotator.keyboard.press("ArrowLeft");
  await expect(annotator.getByTestId("label-current-vote")).toHaveAttribute("data-class-name", "cat");
  await expect(shown).toHaveAttribute("data-image-id", first);
  await annotator.keyboard.press("ArrowRight");
  await expect(shown).toHaveAttribute("data-image-id", third);

  // Meanwhile the owner labels the two newest images in bulk (the grid's first tiles, newest first; the work queue
  // hands out the oldest): Ctrl-click, Shift-click, hotkey 2.
  const tiles = owner.getByTestId("image-tile");
  await tiles.nth(0).click({ modifiers: ["Control"] });
  await tiles.nth(1).click({ modifiers: ["Shift"] });
  await expect(owner.getByTestId("selected-count")).toHaveAttribute("data-count", "2");
  await owner.keyboard.press("2");
  await expect(owner.getByTestId("toast")).toContainText("Labelled 2 images as dog");
  await expect(classCount(owner, "dog")).toHaveAttribute("data-count", "2");

  // The annotator's progress and "to go" follow the owner's bulk label live.
  await expect(annotator.getByTestId("label-progress-text")).toContainText("3 / 12 labelled");
  await expect(annotator.getByTestId("label-remaining")).toHaveAttribute("data-remaining", "9");

  // Undo from the toast takes the bulk label back, on both screens.
  await owner.getByTestId("toast-action").click();
  await expect(classCount(owner, "dog")).toHaveAttribute("data-count", "0");
  await expect(annotator.getByTestId("label-progress-text")).toContainText("1 / 12 labelled");
  await expect(annotator.getByTestId("label-remaining")).toHaveAttribute("data-remaining", "11");

  // A grid in a second tab of the annotator, whose connection can be cut as a real network drop would: while `cut` is
  // set, socket.io's HTTP polling and the API are refused, an API answer still in flight is lost, and the WebSockets
  // are closed. (Without the API cut, a background refetch the tab had scheduled could fetch what it missed anyway.)
  const annotatorGrid = await annotator.context().newPage();
  let cut = false;
  const sockets: { close(): Promise<void> }[] = [];
  await annotatorGrid.route("**/socket.io/**", (route) => (cut ? route.abort() : route.continue()));
  await annotatorGrid.route("**/api/trpc/**", async (route) => {
    if (cut) return route.abort();
    const response = await route.fetch();
    return cut ? route.abort() : route.fulfill({ response });
  });
  await annotatorGrid.routeWebSocket(/\/socket\.io\//, (ws) => {
    if (cut) return void ws.close();
    ws.connectToServer();
    sockets.push(ws);
  });
  await annotatorGrid.goto(projectUrl);
  await expect(annotatorGrid.getByTestId("live-status")).toHaveAttribute("data-state", "live");
  await expect(classCount(annotatorGrid, "cat")).toHaveAttribute("data-count", "1");
  await annotatorGrid.evaluate(() => ((window as unknown as { liveMarker: number }).liveMarker = 1));
  await annotator.keyboard.press("1");
  await expect(classCount(annotatorGrid, "cat")).toHaveAttribute("data-count", "2");
  await expect(tile(annotatorGrid, third).getByTestId("tile-label")).toHaveText("cat");
  await expect(classCount(owner, "cat")).toHaveAttribute("data-count", "2");

  // The connection drops; meanwhile both keep labelling. When it is back, the tab catches up on what it missed.
  cut = true;
  await Promise.all(sockets.splice(0).map((ws) => ws.close()));
  await expect(annotatorGrid.getByTestId("live-status")).toHaveAttribute("data-state", "reconnecting");
  const missed = (await shown.getAttribute("data-image-id"))!;
  await annotator.keyboard.press("2");
  await expect(tile(owner, missed).getByTestId("tile-label")).toHaveText("dog");
  await tiles.nth(2).click({ modifiers: ["Control"] });
  await owner.keyboard.press("1");
  await expect(classCount(owner, "cat")).toHaveAttribute("data-count", "3");
  const ownersPick = (await tiles.nth(2).getAttribute("data-image-id"))!;
  await expect(tile(annotatorGrid, missed).getByTestId("tile-label")).toHaveText("unlabelled");
  cut = false;
  await expect(annotatorGrid.getByTestId("live-status")).toHaveAttribute("data-state", "live", { timeout: 15_000 });
  await expect(classCount(annotatorGrid, "cat")).toHaveAttribute("data-count", "3");
  await expect(classCount(annotatorGrid, "dog")).toHaveAttribute("data-count", "1");
  await expect(tile(annotatorGrid, missed).getByTestId("tile-label")).toHaveText("dog");
  await expect(tile(annotatorGrid, ownersPick).getByTestId("tile-label")).toHaveText("cat");
  await expect(annotatorGrid.getByTestId("count-labelled")).toContainText("4");

  for (const page of [owner, annotatorGrid]) expect(await page.evaluate(() => (window as unknown as { liveMarker?: number }).liveMarker)).toBe(1);

  // An unsure label ("u", then a class) puts the image on the owner's review list; the owner's vote settles it.
  const doubtful = (await shown.getAttribute("data-image-id"))!;
  await annotator.keyboard.press("u");
  await expect(annotator.getByTestId("label-unsure")).toHaveAttribute("aria-pressed", "true");
  await annotator.keyboard.press("2");
  await owner.getByTestId("open-review").click();
  const row = owner.locator(`[data-testid="disagreement"][data-image-id="${doubtful}"]`);
  await expect(row.locator('[data-testid="vote"][data-voter="Ann Annotator"]')).toHaveAttribute("data-class-name", "dog");
  await expect(row.getByTestId("resolved-label")).toHaveAttribute("data-class-name", "dog");
  await row.locator('[data-testid="review-vote"][data-class-name="cat"]').click();
  await expect(row.getByTestId("resolved-label")).toHaveAttribute("data-class-name", "cat");
  await expect(tile(annotatorGrid, doubtful).getByTestId("tile-label")).toHaveText("cat");
});
