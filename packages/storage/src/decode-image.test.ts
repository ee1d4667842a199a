import sharp, { type Sharp } from "sharp";
import { crc32, deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { canDecode, decodeImage, ImageRejectedError, sha256Hex, sniffImageFormat, type ImageFormat } from "./index";

const gradient = (width: number, height: number, channels: 1 | 3 | 4 = 3) => {
  const pixels = Buffer.alloc(width * height * channels);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 31) & 0xff;
  const image = sharp(pixels, { raw: { width, height, channels } });
  return channels === 1 ? image.toColourspace("b-w") : image; // sharp writes 1-channel raw as RGB otherwise
};

async function rejection(promise: Promise<unknown>): Promise<ImageRejectedError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ImageRejectedError);
  const rejected = error as ImageRejectedError;
  expect(rejected.message.length).toBeGreaterThan(10);
  return rejected;
}

/** A PNG whose IHDR claims width x height (valid CRC) followed by a token IDAT: nothing a decoder could use. */
function pngDeclaring(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([length, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(8, 8); // bit depth
  ihdr.writeUInt8(2, 9); // RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(Buffer.alloc(64))), chunk("IEND", Buffer.alloc(0))]);
}

/** A valid 2x2 24-bit BMP, written by hand because sharp cannot write BMP. */
function tinyBmp(): Buffer {
  const header = Buffer.alloc(54);
  header.write("BM", 0, "ascii");
  header.writeUInt32LE(54 + 16, 2);
  header.writeUInt32LE(54, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(2, 18);
  header.writeInt32LE(2, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(24, 28);
  header.writeUInt32LE(16, 34);
  return Buffer.concat([header, Buffer.alloc(16, 0x7f)]);
}

describe("decodeImage: formats", () => {
  const writers: Record<Exclude<ImageFormat, "bmp">, (s: Sharp) => Sharp> = {
    jpeg: (s) => s.jpeg(),
    png: (s) => s.png(),
    webp: (s) => s.webp(),
    gif: (s) => s.gif(),
    tiff: (s) => s.tiff(),
  };
  for (const [format, write] of Object.entries(writers)) {
    it(`round-trips ${format}`, async () => {
      const bytes = await write(gradient(300, 200)).toBuffer();
      expect(sniffImageFormat(bytes)).toBe(format);
      const decoded = await decodeImage(bytes);
      expect(decoded).toMatchObject({ format, width: 300, height: 200, hash: sha256Hex(bytes), grayscale: false });
      expect(decoded.bytes.equals(bytes)).toBe(true);
      const thumb = await sharp(decoded.thumbnail).metadata();
      expect([thumb.format, thumb.width, thumb.height]).toEqual(["webp", 256, 171]);
      const training = await sharp(decoded.training).metadata();
      expect([training.format, training.width, training.height, training.channels, training.space]).toEqual(["png", 256, 171, 3, "srgb"]);
    });
  }

  it("handles BMP according to what this sharp build can read", async () => {
    const bmp = tinyBmp();
    expect(sniffImageFormat(bmp)).toBe("bmp");
    if (canDecode("bmp")) {
      expect((await decodeImage(bmp)).format).toBe("bmp");
    } else {
      const error = await rejection(decodeImage(bmp));
      expect(error.code).toBe("unsupported_format");
      expect(error.message).toMatch(/BMP/);
    }
  });

  it("trusts magic bytes, not names: PNG bytes are a PNG whatever the upload was called", async () => {
    const png = await gradient(10, 10).png().toBuffer();
    expect(sniffImageFormat(png)).toBe("png");
    expect(sniffImageFormat(Buffer.from("BMxx not really a bitmap at all"))).toBeNull();
  });
});

describe("decodeImage: training copy", () => {
  it("keeps 1-channel grayscale as grayscale and uses a normalised small PNG as is", async () => {
    const bytes = await gradient(28, 28, 1).png().toBuffer();
    const decoded = await decodeImage(bytes);
    expect(decoded.grayscale).toBe(true);
    const training = await sharp(decoded.training).metadata();
    expect([training.width, training.height, training.channels, training.space]).toEqual([28, 28, 1, "b-w"]);
    expect(decoded.training.equals(bytes)).toBe(true);
    const thumb = await sharp(decoded.thumbnail).metadata();
    expect([thumb.width, thumb.height]).toEqual([28, 28]); // never enlarged
  });

  it("flattens alpha onto white and drops the alpha channel", async () => {
    const transparent = await sharp({
      create: { width: 40, height: 20, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    })
      .png()
      .toBuffer();
    const decoded = await decodeImage(transparent);
    const { data, info } = await sharp(decoded.training).raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(3);
    expect([...data.subarray(0, 3)]).toEqual([255, 255, 255]);
  });

  it("keeps grayscale when the training copy has to be re-encoded", async () => {
    const bytes = await gradient(300, 200, 1).jpeg().toBuffer();
    const decoded = await decodeImage(bytes);
    expect(decoded.grayscale).toBe(true);
    const training = await sharp(decoded.training).metadata();
    expect([training.width, training.channels, training.space]).toEqual([256, 1, "b-w"]);
  });

  it("grayscale with alpha stays 1 channel after flattening", async () => {
    const grayAlpha = await gradient(30, 30, 4).toColourspace("b-w").png().toBuffer();
    expect((await sharp(grayAlpha).metadata()).channels).toBe(2);
    const training = await sharp((await decodeImage(grayAlpha)).training).metadata();
    expect([training.channels, training.hasAlpha]).toEqual([1, false]);
  });

  it("applies EXIF orientation to the reported size and both outputs", async () => {
    const rotated = await gradient(300, 100).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const decoded = await decodeImage(rotated, { trainingMaxSide: 128 });
    expect([decoded.width, decoded.height]).toEqual([100, 300]);
    expect(decoded.trainingSide).toBe(128);
    const training = await sharp(decoded.training).metadata();
    expect([training.width, training.height]).toEqual([43, 128]);
    const thumb = await sharp(decoded.thumbnail).metadata();
    expect([thumb.width, thumb.height]).toEqual([85, 256]);
  });

  it("converts 16-bit images to 8-bit and honours trainingMaxSide", async () => {
    const deep = await gradient(500, 250).toColourspace("rgb16").png().toBuffer();
    const decoded = await decodeImage(deep, { trainingMaxSide: 64 });
    const training = await sharp(decoded.training).metadata();
    expect([training.width, training.height, training.depth]).toEqual([64, 32, "uchar"]);
  });
});

describe("decodeImage: rejections", () => {
  it("rejects an empty file", async () => {
    expect((await rejection(decodeImage(Buffer.alloc(0)))).code).toBe("empty");
  });

  it("rejects a text file named .jpg", async () => {
    const error = await rejection(decodeImage(Buffer.from("hello, I am definitely a photo.jpg\n")));
    expect(error.code).toBe("not_an_image");
  });

  it("rejects files over maxBytes before looking inside", async () => {
    const bytes = await gradient(100, 100).png().toBuffer();
    const error = await rejection(decodeImage(bytes, { maxBytes: 100 }));
    expect(error.code).toBe("too_large_bytes");
  });

  it("rejects a PNG declaring 100,000 x 100,000 from its header", async () => {
    const bomb = pngDeclaring(100_000, 100_000);
    expect(bomb.length).toBeLessThan(200);
    const error = await rejection(decodeImage(bomb));
    expect(error.code).toBe("too_many_pixels");
    expect(error.message).toMatch(/100000 x 100000/);
  });

  it("applies a custom maxPixels", async () => {
    const bytes = await gradient(100, 100).png().toBuffer();
    expect((await rejection(decodeImage(bytes, { maxPixels: 9_999 }))).code).toBe("too_many_pixels");
    await expect(decodeImage(bytes, { maxPixels: 10_000 })).resolves.toMatchObject({ width: 100 });
  });

  it("rejects a truncated JPEG instead of filling it with grey", async () => {
    const jpeg = await gradient(640, 480).jpeg({ quality: 95 }).toBuffer();
    const error = await rejection(decodeImage(jpeg.subarray(0, Math.floor(jpeg.length * 0.6))));
    expect(error.code).toBe("corrupt");
    expect(error.message).toMatch(/JPEG/);
  });

  it("rejects a truncated small PNG (the path that reuses the original as training copy)", async () => {
    const png = await gradient(28, 28, 1).png().toBuffer();
    const error = await rejection(decodeImage(png.subarray(0, png.length - 40)));
    expect(error.code).toBe("corrupt");
  });

  it("rejects a valid header followed by garbage", async () => {
    const error = await rejection(decodeImage(pngDeclaring(64, 64)));
    expect(error.code).toBe("corrupt");
  });
});
