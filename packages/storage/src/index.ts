// Public API of @fewlabel/storage: image store, decoding, archive reading, labels, export.
export { sha256Hex } from "./hash";
export { assertValidKey, InvalidKeyError, originalKey, thumbnailKey, trainingKey } from "./keys";
export { ImageNotFoundError, type ImageStore, SizeLimitError } from "./image-store";
export { LocalImageStore, type LocalImageStoreOptions } from "./local-image-store";
export { S3ImageStore, type S3ImageStoreOptions } from "./s3-image-store";
export { describeImageStore, type ImageStoreConfig, ImageStoreConfigError, openImageStore, resolveImageStoreConfig } from "./image-store-config";
export { sniffImageFormat, type ImageFormat } from "./sniff-image-format";
export { ImageRejectedError, type ImageRejectionCode } from "./image-rejected-error";
export { canDecode, configureSharp } from "./sharp-setup";
export { decodeImage, DEFAULT_DECODE_LIMITS, type DecodedImage, type DecodeLimits } from "./decode-image";
export { DEFAULT_TRAINING_COPY_SIDE, LEGACY_TRAINING_COPY_SIDE, trainingCopyFormat, trainingCopySide } from "./training-copy-side";
export { getTrainingCopy, hasTrainingCopy } from "./training-copy";
export { mapConcurrent, mapConcurrentToArray } from "./map-concurrent";
export { checkArchivePath, type ArchivePathCheck } from "./archive-path";
export {
  ArchiveError,
  DEFAULT_ZIP_LIMITS,
  readZipArchive,
  type ArchiveErrorCode,
  type ZipEntry,
  type ZipEntryRejectionCode,
  type ZipLimits,
} from "./zip-archive";
export { labelFromFolderPath } from "./folder-label";
export {
  createCsvLabelLookup,
  parseCsvRows,
  parseLabelsCsv,
  type CsvLabelEntry,
  type CsvLabelError,
  type ParsedLabelsCsv,
} from "./labels-csv";
export { writeZip, type ZipSourceEntry } from "./write-zip";
export { toCsv, toCsvCell, type CsvCell } from "./to-csv";
export { storeDecodedImage, type StoredImage } from "./store-decoded-image";
