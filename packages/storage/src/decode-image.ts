// Turns uploaded bytes into everything ingest stores for one image: content hash, verified format and size, a WebP
// thumbnail for the UI and a small normalised PNG for training, or an ImageRejectedError saying why not.
//
// Cost model (see bench/decode.ts): each sharp call costs roughly a millisecond of fixed overhead, which dominates
// for 28x28 images, while decoding dominates for photos. So: one header read (metadata, no pixel decode) to refuse
// oversized images cheaply, then
// - small images: thumbnail and training copy each straight from the original (and a PNG that is already
//   normalised serves as its own training copy), 1-2 pipelines;
// - large images: one decode that auto-rotates and shrinks to the larger output size (JPEG/WebP shrink-on-load
//   decodes a 2 MP photo at 1/4 scale), then both outputs encoded in parallel from that small raw buffer.
import { sha256Hex } from "./hash";
import { ImageRejectedError } from "./image-rejected-error";
import { canDecode, configureSharp, sharp } from "./sharp-setup";
import { sniffImageFormat, type ImageFormat } from "./sniff-image-format";
import { DEFAULT_TRAINING_COPY_SIDE } from "./training-copy-side";

export interface DecodeLimits {
  /** Largest accepted upload, in bytes. */
  maxBytes: number;
  /** Largest accepted width x height, read from the header before any pixel is decoded. */
  maxPixels: number;
  /** Longest side of the training copy (never enlarged). */
  trainingMaxSide: number;
  /** Longest side of the WebP thumbnail (never enlarged). */
  thumbnailMaxSide: number;
}

export const DEFAULT_DECODE_LIMITS: Readonly<DecodeLimits> = Object.freeze({
  maxBytes: 50 * 1024 * 1024,
  maxPixels: 50_000_000,
  trainingMaxSide: DEFAULT_TRAINING_COPY_SIDE,
  thumbnailMaxSide: 256,
});

export interface DecodedImage {
  /** sha256Hex of `bytes`: the content address. */
  hash: string;
  format: ImageFormat;
  /** Size as displayed, i.e. after EXIF orientation is applied. */
  width: number;
  height: number;
  /** The original bytes, unchanged. */
  bytes: Buffer;
  /** WebP, fits inside thumbnailMaxSide, alpha kept. */
  thumbnail: Buffer;
  /** PNG, EXIF-rotated, flattened onto white, sRGB (or 8-bit grayscale if the source is), fits trainingMaxSide. */
  training: Buffer;
  /** The trainingMaxSide it was made under (part of its store key). */
  trainingSide: number;
  /** Whether the training copy has one channel. */
  grayscale: boolean;
}

// "error" rejects truncated and structurally broken files; sharp's default "warning" would also refuse common,
// harmless camera quirks such as "extraneous bytes before marker".
const FAIL_ON = "error" as const;
type Metadata = Awaited<ReturnType<ReturnType<typeof sharp>["metadata"]>>;
const FLATTEN_BACKGROUND = { r: 255, g: 255, b: 255 };

const megabytes = (n: number) => `${(n / (1024 * 1024)).toFixed(1)} MB`;
const megapixels = (n: number) => `${(n / 1_000_000).toFixed(1)} megapixels`;

export async function decodeImage(input: Uint8Array, limits: Partial<DecodeLimits> = {}): Promise<DecodedImage> {
  const { maxBytes, maxPixels, trainingMaxSide, thumbnailMaxSide } = { ...DEFAULT_DECODE_LIMITS, ...limits };
  configureSharp();
  const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);

  if (bytes.length === 0) throw new ImageRejectedError("empty", "The file is empty.");
  if (bytes.length > maxBytes) {
    throw new ImageRejectedError("too_large_bytes", `The file is ${megabytes(bytes.length)}; the largest accepted image is ${megabytes(maxBytes)}.`);
  }
  const format = sniffImageFormat(bytes);
  if (format === null) {
    throw new ImageRejectedError("not_an_image", "The file is not a recognised image: its content does not start like a JPEG, PNG, WebP, GIF, TIFF or BMP file.");
  }
  if (!canDecode(format)) {
    throw new ImageRejectedError("unsupported_format", `${format.toUpperCase()} images cannot be read by this server's image library; convert it to PNG or JPEG.`);
  }

  // Header only: no pixels are decoded, so a tiny PNG declaring 100,000 x 100,000 costs microseconds.
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw corrupt(format, error);
  }
  const width = metadata.autoOrient?.width ?? metadata.width;
  const height = metadata.autoOrient?.height ?? metadata.height;
  if (!width || !height) throw new ImageRejectedError("corrupt", `The ${format.toUpperCase()} header has no size.`);
  if (width * height > maxPixels) {
    throw new ImageRejectedError("too_many_pixels", `The image is ${width} x ${height} (${megapixels(width * height)}); the limit is ${megapixels(maxPixels)}.`);
  }
  const grayscale = (metadata.channels ?? 3) - (metadata.hasAlpha ? 1 : 0) === 1;
  const options: OutputOptions = {
    format,
    maxPixels,
    thumbnailSize: fitInside(width, height, thumbnailMaxSide),
    trainingSize: fitInside(width, height, trainingMaxSide),
    colourspace: grayscale ? "b-w" : "srgb",
  };
  const fitsWithoutResize = Math.max(width, height) <= Math.max(trainingMaxSide, thumbnailMaxSide);
  const { thumbnail, training } = fitsWithoutResize ? await encodeFromOriginal(bytes, options, isTrainingReady(metadata, format, trainingMaxSide)) : await encodeViaShrunkCopy(bytes, options);

  return { hash: sha256Hex(bytes), format, width, height, bytes, thumbnail, training, trainingSide: trainingMaxSide, grayscale };
}

interface Size {
  width: number;
  height: number;
}
interface OutputOptions {
  format: ImageFormat;
  maxPixels: number;
  thumbnailSize: Size;
  trainingSize: Size;
  colourspace: "b-w" | "srgb";
}

/**
 * Output sizes are computed once from the original's size, so both decode strategies (direct, or via the shrunk
 * copy) give exactly the same dimensions.
 */
function fitInside(width: number, height: number, maxSide: number): Size {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}
type Outputs = { thumbnail: Buffer; training: Buffer };

// Every decode of the original goes through here: failOn rejects truncated data, and limitInputPixels repeats the
// pixel check inside libvips in case the header read and the decoder ever disagree.
function openOriginal(bytes: Buffer, options: OutputOptions) {
  return sharp(bytes, { failOn: FAIL_ON, limitInputPixels: options.maxPixels }).rotate();
}

function encodeThumbnail(image: ReturnType<typeof sharp>, options: OutputOptions): Promise<Buffer> {
  return image.resize(options.thumbnailSize.width, options.thumbnailSize.height, { fit: "fill" }).webp({ quality: 80, effort: 2 }).toBuffer();
}

function encodeTraining(image: ReturnType<typeof sharp>, options: OutputOptions): Promise<Buffer> {
  return image
    .resize(options.trainingSize.width, options.trainingSize.height, { fit: "fill" })
    .flatten({ background: FLATTEN_BACKGROUND })
    .toColourspace(options.colourspace)
    .png({ compressionLevel: 6, adaptiveFiltering: false })
    .toBuffer();
}

/**
 * A PNG that already is what the training copy would be (8-bit gray or RGB, no alpha, palette, ICC profile,
 * rotation or interlacing, small enough) is used as its own training copy: for Fashion-MNIST-sized images this
 * saves one of the two pipelines. Its pixels are still fully decoded (and so validated) by the thumbnail pipeline.
 */
function isTrainingReady(metadata: Metadata, format: ImageFormat, trainingMaxSide: number): boolean {
  return (
    format === "png" &&
    metadata.depth === "uchar" &&
    !metadata.hasAlpha &&
    !metadata.isPalette &&
    !metadata.hasProfile &&
    !metadata.isProgressive &&
    (metadata.orientation ?? 1) === 1 &&
    (metadata.space === "b-w" || metadata.space === "srgb") &&
    (metadata.channels === 1 || metadata.channels === 3) &&
    (metadata.width ?? Infinity) <= trainingMaxSide &&
    (metadata.height ?? Infinity) <= trainingMaxSide
  );
}

/** Small images: decoding is cheap, so each output decodes the original itself (fewest sharp round trips). */
async function encodeFromOriginal(bytes: Buffer, options: OutputOptions, trainingReady: boolean): Promise<Outputs> {
  try {
    const [thumbnail, training] = await Promise.all([encodeThumbnail(openOriginal(bytes, options), options), trainingReady ? bytes : encodeTraining(openOriginal(bytes, options), options)]);
    return { thumbnail, training };
  } catch (error) {
    throw decodeFailure(options, error);
  }
}

/**
 * Large images: decode once, auto-rotated and shrunk to the larger output size (JPEG and WebP shrink while
 * decoding), then encode both outputs from that small raw buffer.
 */
async function encodeViaShrunkCopy(bytes: Buffer, options: OutputOptions): Promise<Outputs> {
  const larger = options.thumbnailSize.width >= options.trainingSize.width ? options.thumbnailSize : options.trainingSize;
  let shrunk: { data: Buffer; info: { width: number; height: number; channels: 1 | 2 | 3 | 4 } };
  try {
    shrunk = await openOriginal(bytes, options).resize(larger.width, larger.height, { fit: "fill" }).toColourspace(options.colourspace).raw().toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw decodeFailure(options, error);
  }
  const { width, height, channels } = shrunk.info;
  const fromRaw = () => sharp(shrunk.data, { raw: { width, height, channels } });
  const [thumbnail, training] = await Promise.all([encodeThumbnail(fromRaw(), options), encodeTraining(fromRaw(), options)]);
  return { thumbnail, training };
}

function decodeFailure(options: OutputOptions, error: unknown): ImageRejectedError {
  if (/pixel limit/i.test(errorMessage(error))) {
    return new ImageRejectedError("too_many_pixels", `The image exceeds the ${megapixels(options.maxPixels)} limit.`, {
      cause: error,
    });
  }
  return corrupt(options.format, error);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function corrupt(format: ImageFormat, error: unknown): ImageRejectedError {
  const detail = errorMessage(error).split("\n")[0]?.trim();
  return new ImageRejectedError("corrupt", `The ${format.toUpperCase()} file is damaged or truncated and cannot be decoded${detail ? ` (${detail})` : ""}.`, { cause: error });
}
