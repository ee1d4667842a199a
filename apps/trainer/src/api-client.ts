// How a trainer talks to a fewlabel server: the typed tRPC client of the api's `trainer.*` procedures and the plain
// HTTP routes for bytes (training images, checkpoints, model files), all with `Authorization: Bearer <token>`.
// This is the trainer's only way to the project's data: it never opens the database.
import type { AppRouter } from "@fewlabel/api";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import superjson from "superjson";

export class TrainerHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "TrainerHttpError";
  }
}

export type TrainerApi = ReturnType<typeof createTrainerApi>;

const UNAVAILABLE_RETRIES = 5;

export function createTrainerApi(baseUrl: string, token: string) {
  const base = baseUrl.replace(/\/+$/, "");
  const auth = { authorization: `Bearer ${token}` };
  const trpc = createTRPCClient<AppRouter>({
    links: [httpLink({ url: `${base}/api/trpc`, transformer: superjson, headers: () => auth })],
  });

  async function request(path: string, init: RequestInit & { leaseId?: string } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("authorization", auth.authorization);
    if (init.leaseId) headers.set("x-fewlabel-lease", init.leaseId);
    let res = await fetch(`${base}${path}`, { ...init, headers });
    // 503: the server holds as many trainer uploads in memory as it may (or is restarting); the body is ours to resend.
    for (let attempt = 1; res.status === 503 && attempt <= UNAVAILABLE_RETRIES; attempt++) {
      await res.body?.cancel();
      await new Promise((r) => setTimeout(r, Math.min(30_000, 1000 * 2 ** attempt)));
      res = await fetch(`${base}${path}`, { ...init, headers });
    }
    if (!res.ok) {
      const body = await res.text();
      let message = body;
      try {
        message = (JSON.parse(body) as { error?: string }).error ?? body;
      } catch {}
      throw new TrainerHttpError(res.status, `${init.method ?? "GET"} ${path}: ${res.status} ${message}`);
    }
    return res;
  }

  return {
    trpc: trpc.trainer,
    /** The normalised PNG of an image (auto-rotated, at most the server's training-copy size on its longer side). */
    async trainingImage(imageId: string): Promise<Buffer> {
      return Buffer.from(await (await request(`/api/images/${imageId}/training`)).arrayBuffer());
    },
    /**
     * Many training copies in one request (at most TRAINING_IMAGES_BATCH ids), each yielded as its frame arrives, in
     * the order asked: the PNG, or why there is none. Throws when the answer breaks off (the rest may be asked again).
     */
    async *trainingImages(projectId: string, imageIds: string[]): AsyncGenerator<TrainingImageFrame> {
      const res = await request(`/api/trainer/projects/${projectId}/training-images`, {
        method: "POST",
        body: JSON.stringify({ ids: imageIds }),
        headers: { "content-type": "application/json" },
      });
      yield* readFrames(res, imageIds);
    },
    /** A checkpoint blob, or null when the slot is empty. */
    async getCheckpoint(projectId: string, slot: string): Promise<Buffer | null> {
      try {
        return Buffer.from(await (await request(`/api/trainer/projects/${projectId}/checkpoints/${slot}`)).arrayBuffer());
      } catch (err) {
        if (err instanceof TrainerHttpError && err.status === 404) return null;
        throw err;
      }
    },
    async putCheckpoint(projectId: string, leaseId: string, slot: string, bytes: Uint8Array): Promise<void> {
      await request(`/api/trainer/projects/${projectId}/checkpoints/${slot}`, { method: "PUT", body: new Uint8Array(bytes), leaseId, headers: { "content-type": "application/octet-stream" } });
    },
    async deleteCheckpoint(projectId: string, leaseId: string, slot: string): Promise<void> {
      await request(`/api/trainer/projects/${projectId}/checkpoints/${slot}`, { method: "DELETE", leaseId });
    },
    /** Publishes a model version: metadata plus files named "<kind>/<file>". */
    async publishModel(projectId: string, leaseId: string, meta: unknown, files: { path: string; bytes: Uint8Array }[]): Promise<{ id: string; version: number }> {
      const form = new FormData();
      form.append("meta", JSON.stringify(meta));
      for (const f of files) form.append("file", new Blob([new Uint8Array(f.bytes)]), f.path);
      return (await (await request(`/api/trainer/projects/${projectId}/models`, { method: "POST", body: form, leaseId })).json()) as { id: string; version: number };
    },
    async modelFile(versionId: string, kind: string, file: string): Promise<Buffer> {
      return Buffer.from(await (await request(`/api/models/${versionId}/${kind}/${file}`)).arrayBuffer());
    },
  };
}

/** One image of a `trainingImages` answer. */
export type TrainingImageFrame = { imageId: string; bytes: Buffer } | { imageId: string; bytes: null; missing: "not found" | "file missing"; reason: string };

/** Frames as packages/api's training-images route writes them: status byte, 4-byte big-endian length, payload. */
async function* readFrames(res: Response, imageIds: string[]): AsyncGenerator<TrainingImageFrame> {
  if (!res.body) throw new Error("the training-images answer has no body");
  let buffered = Buffer.alloc(0);
  let index = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffered = buffered.length ? Buffer.concat([buffered, chunk]) : Buffer.from(chunk);
    while (buffered.length >= 5) {
      const length = buffered.readUInt32BE(1);
      if (buffered.length < 5 + length) break;
      const status = buffered[0]!;
      const payload = Buffer.from(buffered.subarray(5, 5 + length));
      buffered = buffered.subarray(5 + length);
      const imageId = imageIds[index++];
      if (imageId === undefined) throw new Error("the training-images answer has more frames than ids asked");
      if (status === 0) yield { imageId, bytes: payload };
      else if (status === 1 || status === 2) yield { imageId, bytes: null, missing: status === 1 ? "not found" : "file missing", reason: payload.toString("utf8") };
      else throw new Error(`the training-images answer has a frame of unknown kind ${status}`);
    }
  }
  if (index < imageIds.length || buffered.length) throw new Error(`the training-images answer broke off after ${index} of ${imageIds.length} images`);
}

/** The tRPC error code of a failed call ("CONFLICT", "UNAUTHORIZED"...), or undefined for other errors. */
export function trpcCode(err: unknown): string | undefined {
  return err instanceof TRPCClientError ? (err.data as { code?: string } | undefined)?.code : undefined;
}
