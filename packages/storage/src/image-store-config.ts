// Which image store a process uses, from its environment: the data directory's `images` folder by default (one
// machine, or several sharing that folder), an S3 bucket when FEWLABEL_S3_BUCKET names one (web servers on several
// machines). Credentials come from the AWS SDK's usual chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile,
// an instance role), never from fewlabel's own settings, so they are configured the way operators already do.
import path from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import type { ImageStore } from "./image-store";
import { LocalImageStore } from "./local-image-store";
import { S3ImageStore } from "./s3-image-store";

export type ImageStoreConfig = { kind: "local"; dir: string } | { kind: "s3"; bucket: string; prefix: string; region: string; endpoint?: string; forcePathStyle: boolean; createBucket: boolean };

export class ImageStoreConfigError extends Error {
  override readonly name = "ImageStoreConfigError";
}

// S3's own rules for bucket names (3-63 characters, lowercase, digits, dots and hyphens, letters or digits at the ends).
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX_PATTERN = /^([A-Za-z0-9][A-Za-z0-9._-]*\/)*$/;

export function resolveImageStoreConfig(env: NodeJS.ProcessEnv, dataDir: string): ImageStoreConfig {
  const bucket = env.FEWLABEL_S3_BUCKET?.trim();
  if (!bucket) return { kind: "local", dir: path.join(dataDir, "images") };
  if (!BUCKET_PATTERN.test(bucket)) throw new ImageStoreConfigError(`FEWLABEL_S3_BUCKET ${JSON.stringify(bucket)} is not a valid S3 bucket name`);
  let prefix = (env.FEWLABEL_S3_PREFIX ?? "").trim().replace(/^\/+/, "");
  if (prefix && !prefix.endsWith("/")) prefix += "/";
  if (!PREFIX_PATTERN.test(prefix)) throw new ImageStoreConfigError(`FEWLABEL_S3_PREFIX ${JSON.stringify(prefix)} must be folder names of letters, digits, '.', '_' and '-'`);
  const endpoint = env.FEWLABEL_S3_ENDPOINT?.trim() || undefined;
  if (endpoint && !/^https?:\/\/[^/]+/.test(endpoint)) throw new ImageStoreConfigError(`FEWLABEL_S3_ENDPOINT ${JSON.stringify(endpoint)} must be an http(s) URL`);
  const region = env.FEWLABEL_S3_REGION?.trim() || env.AWS_REGION?.trim() || "us-east-1";
  // S3-compatible servers mostly address buckets by path (http://host/bucket/key); AWS by host name.
  const pathStyle = env.FEWLABEL_S3_FORCE_PATH_STYLE?.trim();
  const forcePathStyle = pathStyle ? pathStyle !== "0" && pathStyle !== "false" : endpoint !== undefined;
  const createBucket = env.FEWLABEL_S3_CREATE_BUCKET === "1";
  return { kind: "s3", bucket, prefix, region, endpoint, forcePathStyle, createBucket };
}

export function describeImageStore(config: ImageStoreConfig): string {
  if (config.kind === "local") return `images in ${config.dir}`;
  return `images in S3 bucket ${config.bucket}${config.prefix ? ` under ${config.prefix}` : ""}${config.endpoint ? ` at ${config.endpoint}` : ""}`;
}

/**
 * The store a config names; an S3 bucket is checked first (or created, with FEWLABEL_S3_CREATE_BUCKET=1), so a wrong
 * name or credentials fail at start, not at the first upload.
 */
export async function openImageStore(config: ImageStoreConfig): Promise<ImageStore> {
  if (config.kind === "local") return new LocalImageStore(config.dir);
  // The SDK warns on every start under Node 20 that its releases from 2027 will need Node 22. The version fewlabel
  // installs is pinned by package-lock.json and runs on 20, so the warning only tells operators of an upgrade that
  // is fewlabel's to make (an operator's own setting of the variable stands).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const client = new S3Client({
    region: config.region,
    endpoint: config.endpoint,
    forcePathStyle: config.forcePathStyle,
    // Newer SDKs add CRC checksums (and aws-chunked bodies) to every upload, which many S3-compatible servers do not
    // understand; AWS itself keeps the SDK's default. Images are content-addressed by SHA-256 anyway.
    ...(config.endpoint ? { requestChecksumCalculation: "WHEN_REQUIRED" as const, responseChecksumValidation: "WHEN_REQUIRED" as const } : {}),
  });
  const store = new S3ImageStore({ client, bucket: config.bucket, prefix: config.prefix });
  await (config.createBucket ? store.ensureBucket() : store.check());
  return store;
}
