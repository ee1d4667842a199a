// S3ImageStore against a real S3-compatible server (s3rver from npm, over HTTP, signed requests): the same promises
// the local store keeps, and the configuration that selects it.
import { buffer } from "node:stream/consumers";
import type { S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startS3Server, type TestS3Server } from "../test/s3-server";
import { ImageNotFoundError, ImageStoreConfigError, InvalidKeyError, openImageStore, originalKey, resolveImageStoreConfig, S3ImageStore, sha256Hex, SizeLimitError, thumbnailKey } from "./index";

let s3: TestS3Server;
let client: S3Client;
beforeAll(async () => {
  s3 = await startS3Server();
  client = s3.client();
});
afterAll(async () => {
  client?.destroy();
  await s3?.close();
});

const objectKeys = (prefix = "") => s3.listKeys(prefix);

describe("S3ImageStore", () => {
  it("puts, gets, streams, checks and deletes, under its prefix", async () => {
    const store = new S3ImageStore({ client, bucket: s3.bucket, prefix: "a/" });
    const bytes = Buffer.from("some image bytes");
    const key = originalKey(sha256Hex(bytes));
    expect(await store.has(key)).toBe(false);
    await store.put(key, bytes);
    expect(await store.has(key)).toBe(true);
    expect((await store.get(key)).equals(bytes)).toBe(true);
    expect((await buffer(store.createReadStream(key))).equals(bytes)).toBe(true);
    expect(await objectKeys("a/")).toEqual([`a/${key}`]);
    await store.put(key, Buffer.from("replaced"));
    expect((await store.get(key)).toString()).toBe("replaced");
    await store.delete(key);
    expect(await store.has(key)).toBe(false);
    await store.delete(key); // deleting twice is fine
    expect(await objectKeys("a/")).toEqual([]);
  });

  it("reports missing keys with ImageNotFoundError, for get and for streams", async () => {
    const store = new S3ImageStore({ client, bucket: s3.bucket, prefix: "b/" });
    const key = thumbnailKey(sha256Hex(Buffer.from("absent")));
    await expect(store.get(key)).rejects.toBeInstanceOf(ImageNotFoundError);
    await expect(buffer(store.createReadStream(key))).rejects.toBeInstanceOf(ImageNotFoundError);
  });

  it("refuses traversal keys before sending anything", async () => {
    const store = new S3ImageStore({ client, bucket: s3.bucket, prefix: "c/" });
    await expect(store.put("../escaped", Buffer.from("x"))).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(store.get("originals/../../etc/passwd")).rejects.toBeInstanceOf(InvalidKeyError);
    expect(() => store.createReadStream("/etc/passwd")).toThrow(InvalidKeyError);
    await expect(store.has("..")).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(store.delete("a/../../b")).rejects.toBeInstanceOf(InvalidKeyError);
    expect(await objectKeys("c/")).toEqual([]);
  });

  async function* chunks(n: number, size: number) {
    for (let i = 0; i < n; i++) yield new Uint8Array(size).fill(i + 1);
  }

  it("writes a stream as it comes, in parts when large, and refuses one past the limit keeping the stored value", async () => {
    const store = new S3ImageStore({ client, bucket: s3.bucket, prefix: "d/" });
    expect(await store.putStream("checkpoints/p/pretrain", chunks(4, 1000), 10_000)).toBe(4000);
    const stored = await store.get("checkpoints/p/pretrain");
    expect(stored.length).toBe(4000);
    expect(stored[3999]).toBe(4);
    await expect(store.putStream("checkpoints/p/pretrain", chunks(20, 1000), 10_000)).rejects.toBeInstanceOf(SizeLimitError);
    expect(Buffer.compare(await store.get("checkpoints/p/pretrain"), stored)).toBe(0);
    // 12 MiB: three multipart parts; then 12 MiB against a 7 MiB limit fails after the first part was sent.
    const mib = 1024 * 1024;
    expect(await store.putStream("models/p/v/teacher/weights.bin", chunks(12, mib), 64 * mib)).toBe(12 * mib);
    const big = await store.get("models/p/v/teacher/weights.bin");
    expect(big.length).toBe(12 * mib);
    expect([big[0], big[6 * mib], big[12 * mib - 1]]).toEqual([1, 7, 12]);
    await expect(store.putStream("models/p/v/student/weights.bin", chunks(12, mib), 7 * mib)).rejects.toBeInstanceOf(SizeLimitError);
    expect(await store.has("models/p/v/student/weights.bin")).toBe(false);
    expect(await objectKeys("d/")).toEqual(["d/checkpoints/p/pretrain", "d/models/p/v/teacher/weights.bin"]);
  });

  it("stops reading when the reader goes away", async () => {
    const store = new S3ImageStore({ client, bucket: s3.bucket, prefix: "e/" });
    await store.put("originals/aa/big", Buffer.alloc(4 * 1024 * 1024, 7));
    const stream = store.createReadStream("originals/aa/big");
    const first = await new Promise<Buffer>((resolve) => stream.once("data", resolve));
    expect(first[0]).toBe(7);
    stream.destroy();
    // The store still serves the next reader.
    expect((await store.get("originals/aa/big")).length).toBe(4 * 1024 * 1024);
  });
});

describe("choosing the image store", () => {
  it("is the data directory's images folder unless a bucket is named", () => {
    expect(resolveImageStoreConfig({}, "/data")).toEqual({ kind: "local", dir: "/data/images" });
    expect(resolveImageStoreConfig({ FEWLABEL_S3_BUCKET: "photos", FEWLABEL_S3_PREFIX: "/team/one", AWS_REGION: "eu-west-1" }, "/data")).toEqual({
      kind: "s3",
      bucket: "photos",
      prefix: "team/one/",
      region: "eu-west-1",
      endpoint: undefined,
      forcePathStyle: false,
      createBucket: false,
    });
    expect(resolveImageStoreConfig({ FEWLABEL_S3_BUCKET: "photos", FEWLABEL_S3_ENDPOINT: "http://minio:9000" }, "/data")).toMatchObject({ endpoint: "http://minio:9000", forcePathStyle: true });
  });

  it.each([
    [{ FEWLABEL_S3_BUCKET: "Bad_Name" }, /not a valid S3 bucket name/],
    [{ FEWLABEL_S3_BUCKET: "ok-name", FEWLABEL_S3_PREFIX: "../up" }, /FEWLABEL_S3_PREFIX/],
    [{ FEWLABEL_S3_BUCKET: "ok-name", FEWLABEL_S3_ENDPOINT: "minio:9000" }, /http\(s\) URL/],
  ])("refuses %j", (env, message) => {
    expect(() => resolveImageStoreConfig(env, "/data")).toThrow(ImageStoreConfigError);
    expect(() => resolveImageStoreConfig(env, "/data")).toThrow(message);
  });

  it("opens a bucket that exists, with the SDK's credentials from the environment, and names one that does not", async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = s3.env.AWS_ACCESS_KEY_ID;
    process.env.AWS_SECRET_ACCESS_KEY = s3.env.AWS_SECRET_ACCESS_KEY;
    try {
      const store = await openImageStore(resolveImageStoreConfig(s3.env, "/unused"));
      await store.put("checkpoints/x/pretrain", Buffer.from("ok"));
      expect(await objectKeys("checkpoints/x/")).toEqual(["checkpoints/x/pretrain"]);
      await expect(openImageStore(resolveImageStoreConfig({ ...s3.env, FEWLABEL_S3_BUCKET: "no-such-bucket" }, "/unused"))).rejects.toThrow(/"no-such-bucket" does not exist/);
      // Asked to, it creates a missing bucket (twice at once, as two instances starting together would).
      const created = await Promise.all([1, 2].map(() => openImageStore(resolveImageStoreConfig({ ...s3.env, FEWLABEL_S3_BUCKET: "made-at-start", FEWLABEL_S3_CREATE_BUCKET: "1" }, "/unused"))));
      await created[0]!.put("checkpoints/y/pretrain", Buffer.from("ok"));
      expect((await created[1]!.get("checkpoints/y/pretrain")).toString()).toBe("ok");
    } finally {
      for (const [name, value] of [
        ["AWS_ACCESS_KEY_ID", saved.id],
        ["AWS_SECRET_ACCESS_KEY", saved.secret],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});
