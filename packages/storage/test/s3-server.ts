/// <reference path="./s3rver.d.ts" />
// A real S3-compatible server for tests (s3rver, from npm: a Koa app that keeps buckets in a folder), started in the
// test's own process on a free port, and an AWS SDK client configured the way openImageStore configures one.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";

export interface TestS3Server {
  endpoint: string;
  bucket: string;
  /** What a process needs in its environment to use this bucket (FEWLABEL_S3_* and AWS credentials). */
  env: Record<string, string>;
  client(): S3Client;
  /** Every object key in the bucket under `prefix`, sorted (what a test checks was written or removed). */
  listKeys(prefix?: string): Promise<string[]>;
  close(): Promise<void>;
}

// s3rver checks request signatures against this fixed key pair.
const CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

export async function startS3Server(bucket = "fewlabel-test"): Promise<TestS3Server> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "fewlabel-s3-"));
  const server = new S3rver({ address: "127.0.0.1", port: 0, directory, silent: true, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = () =>
    new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, credentials: CREDENTIALS, requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED" });
  const lister = client();
  return {
    endpoint,
    bucket,
    env: { FEWLABEL_S3_BUCKET: bucket, FEWLABEL_S3_ENDPOINT: endpoint, AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey },
    client,
    async listKeys(prefix = "") {
      const keys: string[] = [];
      let ContinuationToken: string | undefined;
      do {
        const out = await lister.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken }));
        keys.push(...(out.Contents ?? []).map((o) => o.Key!));
        ContinuationToken = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (ContinuationToken);
      return keys.sort();
    },
    async close() {
      lister.destroy();
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
