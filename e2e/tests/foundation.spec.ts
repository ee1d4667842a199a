// The first thing a new user does: sign up, create a project with classes, upload a zip of images while a progress
// bar moves, see the thumbnails, export the labels as CSV.
import fs from "node:fs";
import zlib from "node:zlib";
import { buildZip } from "@fewlabel/storage/testing";
import { expect, test } from "@playwright/test";

/** A small grayscale PNG, made without any image library. */
function pngBytes(seed: number, size = 32): Buffer {
  const crcChunk = (type: string, body: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    const tb = Buffer.concat([Buffer.from(type), body]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(tb) >>> 0);
    return Buffer.concat([len, tb, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 0; // grayscale
  const rows = Buffer.alloc(size * (size + 1));
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) rows[y * (size + 1) + 1 + x] = (x * 8 + y * seed * 3 + seed * 17) % 256;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), crcChunk("IHDR", ihdr), crcChunk("IDAT", zlib.deflateSync(rows)), crcChunk("IEND", Buffer.alloc(0))]);
}

test("sign up, create a project, upload a zip, see thumbnails, export CSV", async ({ page }, testInfo) => {
  const classes = ["shirt", "trouser", "bag"];
  const files = Array.from({ length: 60 }, (_, i) => ({ name: `images/${i < 45 ? classes[i % 3] : "unsorted"}/img-${i}.png`, data: pngBytes(i + 1) }));
  // Files at the top of a class-less folder stay unlabelled: "unsorted" is a folder too, so it becomes a class;
  // keep the test honest by counting what the server reports rather than assuming.
  const zipPath = testInfo.outputPath("fashion.zip");
  fs.writeFileSync(zipPath, buildZip(files.map((f) => ({ ...f, method: 0 }))));

  await page.goto("/");
  await expect(page).toHaveURL(/\/signin/);
  await page.getByRole("link", { name: /sign up|create an account/i }).click();
  await page.getByLabel(/name/i).first().fill("Ada");
  await page.getByLabel(/email/i).fill("ada@example.com");
  await page.getByLabel(/password/i).fill("correct horse battery");
  await page.getByRole("button", { name: /sign up|create account/i }).click();
  await expect(page).toHaveURL(/\/$/);

  await page.getByRole("button", { name: /new project/i }).first().click();
  await page.getByLabel(/project name|^name/i).first().fill("Fashion");
  for (const [i, c] of ["shirt", "trouser"].entries()) {
    await page.getByRole("button", { name: /add class/i }).click();
    await page.getByPlaceholder(/class name/i).nth(i).fill(c);
  }
  await page.getByRole("button", { name: /create project|^create$/i }).click();
  await expect(page).toHaveURL(/\/projects\/[0-9a-f-]{36}/);
  await expect(page.getByTestId("upload-dropzone")).toBeVisible();

  await page.getByTestId("upload-input").setInputFiles(zipPath);
  await expect(page.getByTestId("upload-progress").first()).toBeVisible();
  await expect(page.getByTestId("upload-result")).toContainText(/60/, { timeout: 60_000 });

  const tiles = page.getByTestId("image-tile");
  await expect(tiles.first()).toBeVisible();
  expect(await tiles.count()).toBeGreaterThan(10);
  const firstThumb = tiles.first().locator("img");
  await expect(firstThumb).toHaveJSProperty("complete", true);
  expect(await firstThumb.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
  await expect(page.getByTestId("class-count").filter({ hasText: "shirt" })).toContainText("15");

  const downloadPromise = page.waitForEvent("download");
  await page.getByTestId("export-csv").click();
  const download = await downloadPromise;
  const csv = fs.readFileSync(await download.path(), "utf8").trim().split(/\r?\n/);
  expect(csv[0]).toBe("filename,label,annotator,source,labelled_at");
  expect(csv).toHaveLength(61);
  expect(csv.filter((l) => /,shirt,ada@example\.com,import,/.test(l))).toHaveLength(15);
});
