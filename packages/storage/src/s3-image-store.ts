// ImageStore in an S3 bucket (AWS S3 or any S3-compatible server: MinIO, Ceph, R2, s3rver), so web servers and
// trainers on different machines share originals, thumbnails, training copies, checkpoints and models without a
// shared disk. An S3 object is replaced whole or not at all, which gives put's all-or-nothing without temp files.
//
// Large bodies go through @aws-sdk/lib-storage's Upload: multipart in parts of `partSize`, so a 256 MB checkpoint
// is never whole in memory, and an upload that fails (or passes its size limit) is aborted, leaving the old object.
import { Readable, PassThrough } from "node:stream";
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { ImageNotFoundError, type ImageStore, SizeLimitError } from "./image-store";
import { assertValidKey } from "./keys";

export interface S3ImageStoreOptions {
  client: S3Client;
  bucket: string;
  /** Prepended to every key ("fewlabel/" puts everything under that folder); empty by default. */
  prefix?: string;
  /** Multipart part size for putStream (S3's minimum, 5 MiB, by default). */
  partSize?: number;
}

const MIN_PART_SIZE = 5 * 1024 * 1024;

export class S3ImageStore implements ImageStore {
  readonly bucket: string;
  readonly prefix: string;
  private readonly client: S3Client;
  private readonly partSize: number;

  constructor(options: S3ImageStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? "";
    this.partSize = Math.max(MIN_PART_SIZE, options.partSize ?? MIN_PART_SIZE);
  }

  /** The object key of a store key; throws InvalidKeyError first, as the local store does. */
  objectKey(key: string): string {
    assertValidKey(key);
    return this.prefix + key;
  }

  /** Fails with a message naming the bucket when it is missing or the credentials cannot reach it. */
  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      const status = httpStatus(error);
      const why = status === 404 ? "does not exist" : status === 403 ? "refuses these credentials" : `cannot be reached (${errorText(error)})`;
      throw new Error(`S3 bucket ${JSON.stringify(this.bucket)} ${why}`, { cause: error });
    }
  }

  /** Creates the bucket where it is missing (a compose stack's own S3 server starts empty); then checks it. */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return;
    } catch (error) {
      if (httpStatus(error) !== 404) return this.check();
    }
    await this.client.send(new CreateBucketCommand({ Bucket: this.bucket })).catch((error: unknown) => {
      // Another instance created it meanwhile.
      const name = (error as { name?: string }).name;
      if (name !== "BucketAlreadyOwnedByYou" && name !== "BucketAlreadyExists") throw error;
    });
    await this.check();
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const Key = this.objectKey(key);
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: bytes, ContentLength: bytes.length }));
  }

  async putStream(key: string, source: AsyncIterable<Uint8Array>, maxBytes: number): Promise<number> {
    const Key = this.objectKey(key);
    let written = 0;
    // Counted as it passes: the first chunk past the limit fails the body, and Upload aborts what it had sent.
    async function* limited(): AsyncGenerator<Uint8Array> {
      for await (const chunk of source) {
        written += chunk.length;
        if (written > maxBytes) throw new SizeLimitError(maxBytes);
        yield chunk;
      }
    }
    const body = Readable.from(limited(), { objectMode: false });
    let failure: unknown;
    body.once("error", (error) => (failure ??= error));
    const upload = new Upload({ client: this.client, params: { Bucket: this.bucket, Key, Body: body }, partSize: this.partSize, queueSize: 2, leavePartsOnError: false });
    try {
      await upload.done();
    } catch (error) {
      // Upload reports the body's failure in its own words; the size limit is what callers act on.
      throw failure instanceof SizeLimitError ? failure : (failure ?? error);
    }
    if (failure) throw failure;
    return written;
  }

  async get(key: string): Promise<Buffer> {
    const Key = this.objectKey(key);
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
      if (!out.Body) throw new ImageNotFoundError(key);
      const bytes = await out.Body.transformToByteArray();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (error) {
      throw isNotFound(error) ? new ImageNotFoundError(key) : error;
    }
  }

  createReadStream(key: string): Readable {
    const Key = this.objectKey(key);
    const out = new PassThrough();
    const abort = new AbortController();
    out.on("close", () => abort.abort());
    this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }), { abortSignal: abort.signal }).then(
      (res) => {
        const body = res.Body as Readable | undefined;
        if (!body) return void out.destroy(new ImageNotFoundError(key));
        if (out.destroyed) return void body.destroy();
        body.on("error", (error) => out.destroy(error));
        out.on("close", () => body.destroy());
        body.pipe(out);
      },
      (error: unknown) => {
        if (!out.destroyed) out.destroy(isNotFound(error) ? new ImageNotFoundError(key) : (error as Error));
      },
    );
    return out;
  }

  async has(key: string): Promise<boolean> {
    const Key = this.objectKey(key);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    const Key = this.objectKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }));
  }
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function isNotFound(error: unknown): boolean {
  if (error instanceof ImageNotFoundError) return true;
  const name = (error as { name?: string } | undefined)?.name;
  return name === "NoSuchKey" || name === "NotFound" || httpStatus(error) === 404;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}
